import { webhookBody } from '../channel-formats.ts';
import { type ChannelType, json, urlField } from './channel-type.ts';

/** Any receiver: plain JSON `{ type, alert }`. */
export const webhook: ChannelType = {
  type: 'webhook',
  title: 'Webhook',
  fields: [urlField('URL that receives a JSON POST per notification')],
  build: (config, content) => json(String(config.url), webhookBody(content)),
};
