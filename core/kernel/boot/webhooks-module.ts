import type { Config } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import type { EventBus } from '../../events/event-bus.ts';
import type { EventOutbox } from '../../events/event-outbox.ts';
import type { JobService } from '../../jobs/job-service.ts';
import type { Logger } from '../../logging/logger.ts';
import type { OutboundHttp } from '../../outbound/outbound-http.ts';
import type { SecretStore } from '../../secrets/secret-store.ts';
import { fanOutDeliveriesSql } from '../../webhooks/webhook-delivery.ts';
import { webhooksWiring } from '../../webhooks/webhooks-wiring.ts';
import type { CoreModule } from '../core-module.ts';
import type { Stop } from './stop-steps.ts';

/** Webhooks: deliveries written with each published event, their delivery workers, and the HTTP module. */
export async function startWebhooks(deps: {
  config: Config;
  database: Database;
  outbound: OutboundHttp;
  jobs: JobService;
  bus: EventBus;
  outbox: EventOutbox;
  logger: Logger;
  secrets: SecretStore;
}): Promise<{ module: CoreModule; stop: Stop; replay: (ids: string[]) => Promise<string[]> }> {
  const { config, database } = deps;
  const webhooks = webhooksWiring({
    query: database.query,
    database,
    outbound: deps.outbound,
    jobs: deps.jobs,
    events: deps.bus,
    logger: deps.logger,
    retryBaseSeconds: config.webhookRetryBaseSeconds,
    retentionDays: config.eventRetentionDays,
    secrets: deps.secrets,
  });
  deps.outbox.onPublishStatement(fanOutDeliveriesSql);
  return { module: webhooks.module, stop: await webhooks.start(), replay: webhooks.replay };
}
