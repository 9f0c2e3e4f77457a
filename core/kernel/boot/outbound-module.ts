import type { Config } from '../../config/config.ts';
import type { Logger } from '../../logging/logger.ts';
import { OutboundHttp } from '../../outbound/outbound-http.ts';

/** The guard every outbound call (webhooks, alert channels, plugins) goes through. */
export function outboundHttp(deps: { config: Config; logger: Logger }): OutboundHttp {
  const { config, logger } = deps;
  if (config.outboundAllowPrivate && config.env === 'production')
    logger.warn('ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS is on in production: outbound calls may reach internal services');
  return new OutboundHttp({ hostAllowlist: config.outboundHostAllowlist, allowPrivate: config.outboundAllowPrivate });
}
