import type { DatabaseService, SqlQuery } from '../db/sql-handles.ts';
import type { EventBus } from '../events/event-bus.ts';
import { pruneOutbox } from '../events/outbox-retention.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { Logger } from '../logging/logger.ts';
import { deliveryWorkers, jobQueueDelivery } from '../outbound/delivery-ledger.ts';
import type { OutboundHttp } from '../outbound/outbound-http.ts';
import { confirmSealed, plaintextColumnChecks } from '../secrets/plaintext-columns.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { WebhookDelivery } from './webhook-delivery.ts';
import { sealPlaintextWebhookSecrets } from './webhook-secrets.ts';
import { webhooksModule } from './webhooks.module.ts';

const deliverQueue = 'core.webhook-deliver';

/**
 * Builds webhooks: the delivery engine and the core module serving the HTTP API. `start` declares
 * the delivery and sweep queues, starts their workers and queues deliveries for every event this
 * node hears of; it returns the undo.
 */
export function webhooksWiring(deps: {
  /** The owner's SQL: deliveries and their sweep run across workspaces. */
  query: SqlQuery;
  /** Runs the HTTP API as each request's workspace. */
  database: DatabaseService;
  outbound: OutboundHttp;
  jobs: JobService;
  events: EventBus;
  logger: Logger;
  retryBaseSeconds: number;
  /** Days events and delivered deliveries are kept (ITOPS_EVENT_RETENTION_DAYS). */
  retentionDays: number;
  /** Where subscriptions' signing secrets are sealed. */
  secrets: SecretStore;
}): {
  module: CoreModule;
  start(): Promise<() => Promise<void>>;
  /** Delivers settled deliveries again (the runtime view's retry). */
  replay(ids: string[]): Promise<string[]>;
} {
  const { jobs, logger } = deps;
  const delivery = new WebhookDelivery(
    deps.query,
    deps.outbound,
    jobQueueDelivery(jobs, deliverQueue, 'deliveryId'),
    logger,
    deps.retryBaseSeconds,
    deps.secrets,
  );
  return {
    module: webhooksModule({ database: deps.database, delivery, secrets: deps.secrets }),
    replay: (ids) => delivery.replay(ids),
    async start() {
      const sealed = await sealPlaintextWebhookSecrets(deps.database, deps.secrets);
      if (sealed > 0) logger.info({ sealed }, 'webhook signing secrets moved into the encrypted secrets store');
      await confirmSealed(deps.database, plaintextColumnChecks.webhooks);
      await jobs.declare('core', {
        name: 'webhook-deliver',
        payloadSchema: { type: 'object', required: ['deliveryId'], properties: { deliveryId: { type: 'string' } } },
        retry: { limit: 2 },
      });
      await jobs.declare('core', { name: 'webhook-sweep', schedule: '* * * * *' });
      await jobs.declare('core', { name: 'event-retention', schedule: '41 * * * *' });
      const stopDeliver = await jobs.work(
        deliverQueue,
        (payload: { deliveryId: string }, job) => delivery.deliver(payload.deliveryId, job.signal),
        deliveryWorkers,
      );
      const stopSweep = await jobs.work('core.webhook-sweep', (_payload, job) => delivery.sweep(job.signal), { concurrency: 1 });
      const stopRetention = await jobs.work(
        'core.event-retention',
        async () => {
          const removed = await pruneOutbox(deps.query, deps.retentionDays);
          if (removed.events + removed.deliveries > 0) logger.info({ ...removed, retentionDays: deps.retentionDays }, 'old events and deliveries removed');
        },
        { concurrency: 1 },
      );
      // The events delivered in one turn (the bus hands over a read of up to 500) are kicked together.
      // Stopping ends the kicks under way and waits for them, and a turn scheduled before it starts
      // none: the job queue stops after this, and a kick that reached it then failed with a warning
      // in every busy shutdown's log. What is left pending, the sweep of a node still running queues.
      let kicking: string[] = [];
      const kicks = new Set<Promise<void>>();
      const stopping = new AbortController();
      const stopKicking = deps.events.subscribe((event) => {
        kicking.push(event.id);
        if (kicking.length > 1) return;
        setImmediate(() => {
          const ids = kicking;
          kicking = [];
          if (stopping.signal.aborted) return;
          const kick = delivery
            .kick(ids, stopping.signal)
            .catch((error) => logger.warn({ err: error }, 'could not queue webhook deliveries'))
            .finally(() => kicks.delete(kick));
          kicks.add(kick);
        });
      });
      return async () => {
        stopKicking();
        stopping.abort();
        await Promise.all(kicks);
        await stopRetention();
        await stopSweep();
        await stopDeliver();
      };
    },
  };
}
