import type { AlertsService, NotificationChannelsService } from '../../alerts/alert-types.ts';
import { alertsWiring } from '../../alerts/alerts-wiring.ts';
import type { Config } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import type { EventOutbox } from '../../events/event-outbox.ts';
import type { JobService } from '../../jobs/job-service.ts';
import type { Logger } from '../../logging/logger.ts';
import type { OutboundHttp } from '../../outbound/outbound-http.ts';
import type { SecretStore } from '../../secrets/secret-store.ts';
import type { CoreModule } from '../core-module.ts';
import type { Stop } from './stop-steps.ts';

/** Alerts: the service plugins raise alerts through, the channel notification workers, and the HTTP module. */
export async function startAlerts(deps: {
  config: Config;
  database: Database;
  outbound: OutboundHttp;
  jobs: JobService;
  outbox: EventOutbox;
  logger: Logger;
  secrets: SecretStore;
}): Promise<{ service: AlertsService; channels: NotificationChannelsService; module: CoreModule; stop: Stop }> {
  const { outbox } = deps;
  const alerts = alertsWiring({
    query: deps.database.query,
    database: deps.database,
    outbound: deps.outbound,
    jobs: deps.jobs,
    logger: deps.logger,
    outboxPublishMany: (tx, events) => outbox.publishMany(tx, events),
    retryBaseSeconds: deps.config.webhookRetryBaseSeconds,
    secrets: deps.secrets,
    mail: { smtp: deps.config.smtp, hostAllowlist: deps.config.outboundHostAllowlist, allowPrivate: deps.config.outboundAllowPrivate },
  });
  return { service: alerts.service, channels: alerts.channels, module: alerts.module, stop: await alerts.start() };
}
