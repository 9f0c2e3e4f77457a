import type { DatabaseService } from '../db/sql-handles.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { Logger } from '../logging/logger.ts';
import { deliveryWorkers, jobQueueDelivery } from '../outbound/delivery-ledger.ts';
import type { OutboundHttp } from '../outbound/outbound-http.ts';
import { AlertNotifier } from './alert-notifier.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { confirmSealed, plaintextColumnChecks } from '../secrets/plaintext-columns.ts';
import { ChannelSecrets, sealPlaintextChannelSecrets } from './channels/channel-secrets.ts';
import type { MailSettings } from './channels/smtp-sender.ts';
import { AlertService, type PublishMany, type Query } from './alert-service.ts';
import { alertsModule } from './alerts.module.ts';
import type { NotificationChannelsService } from './alert-types.ts';

export { alertEventTopics } from './alert-service.ts';

const notifyQueue = 'core.alert-notify';

/**
 * Builds the alerts feature: the AlertService plugins raise alerts through, the notifier that
 * sends channel notifications as pg-boss jobs, and the core module serving the HTTP API. `start`
 * declares the queues and starts the workers; it returns their undo.
 */
export function alertsWiring(deps: {
  /** The owner's SQL: the notification workers and sweep run across workspaces. */
  query: Query;
  /** Runs the HTTP API as each request's workspace. */
  database: DatabaseService;
  outbound: OutboundHttp;
  jobs: JobService;
  logger: Logger;
  /** The outbox's batch publish: alerts raised or resolved together publish their events in one statement. */
  outboxPublishMany: PublishMany;
  /** Where channels' secret settings are sealed. */
  secrets: SecretStore;
  retryBaseSeconds?: number;
  /** The SMTP relay of e-mail channels and the address policy it is held to. */
  mail?: MailSettings;
}): { module: CoreModule; service: AlertService; channels: NotificationChannelsService; start(): Promise<() => Promise<void>> } {
  const { query, jobs, logger } = deps;
  const enqueue = jobQueueDelivery(jobs, notifyQueue, 'notificationId');
  const channelSecrets = new ChannelSecrets(deps.secrets);
  const notifier = new AlertNotifier(query, deps.outbound, enqueue, logger, deps.retryBaseSeconds ?? 30, channelSecrets, deps.mail);
  const service = new AlertService({
    publishMany: deps.outboxPublishMany,
    enqueueMany: enqueue.many,
    logger,
  });
  return {
    module: alertsModule({ database: deps.database, notifier, secrets: channelSecrets, publishMany: deps.outboxPublishMany }),
    service,
    channels: service.channels(),
    async start() {
      const sealed = await sealPlaintextChannelSecrets(deps.database, deps.secrets);
      if (sealed > 0) logger.info({ sealed }, 'channel secrets moved into the encrypted secrets store');
      // The notifier reads settings from `config` and the secrets store only: no row may keep a `url`.
      await confirmSealed(deps.database, plaintextColumnChecks.channels);
      await jobs.declare('core', {
        name: 'alert-notify',
        payloadSchema: { type: 'object', required: ['notificationId'], properties: { notificationId: { type: 'string' } } },
        retry: { limit: 2 },
      });
      await jobs.declare('core', { name: 'alert-notify-sweep', schedule: '* * * * *' });
      const stopNotify = await jobs.work(
        notifyQueue,
        (payload: { notificationId: string }, job) => notifier.deliver(payload.notificationId, { signal: job.signal }),
        deliveryWorkers,
      );
      const stopSweep = await jobs.work('core.alert-notify-sweep', (_payload, job) => notifier.sweep(job.signal), { concurrency: 1 });
      return async () => {
        await stopSweep();
        await stopNotify();
      };
    },
  };
}
