import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger.ts';
import { DeliveryLedger, type QueueDelivery, queueEach, retryAfterSeconds } from '../outbound/delivery-ledger.ts';
import { OutboundBlockedError, type OutboundHttp } from '../outbound/outbound-http.ts';
import type { SqlQuery as Query } from '../db/sql-handles.ts';
import { eventChannel } from '../events/event-outbox.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { previousKey, signingKey, signingKeyPrefix } from './webhook-secrets.ts';
import { signWebhook } from './webhook-signature.ts';

export const maxAttempts = 6;

type Sealed = { version: number | null; ciphertext: Buffer | null; wrapped_key: Buffer | null; master_key_id: string | null };
type SealedColumns = { [K in keyof Sealed as `cur_${K}` | `prev_${K}`]: Sealed[K] };

/**
 * Creates the deliveries of published events for every matching subscription, in the publishing
 * statement itself (an outbox publish statement over its new events `e`), so none is lost between
 * commit and dispatch and a publish pays no round trip for them. Events without a tenant have no
 * subscribers.
 */
export const fanOutDeliveriesSql = `
  INSERT INTO webhook_delivery (id, subscription_id, tenant_id, event_id, topic, status)
  SELECT gen_random_uuid(), s.id, s.tenant_id, e.id, e.topic, 'pending'
    FROM e JOIN webhook_subscription s ON s.tenant_id = e.tenant_id AND s.enabled AND (cardinality(s.topics) = 0 OR e.topic = ANY(s.topics))`;

/**
 * Delivers webhooks: each delivery is claimed for a minute (so duplicate jobs are harmless), signed
 * with Standard Webhooks headers, sent through the outbound guard, and settled: 2xx delivered; 410
 * disables the subscription; a blocked URL fails at once; anything else is retried with exponential
 * backoff, or after the receiver's Retry-After, up to six attempts.
 */
export class WebhookDelivery {
  private readonly ledger: DeliveryLedger;

  constructor(
    private readonly query: Query,
    private readonly outbound: OutboundHttp,
    private readonly send: QueueDelivery,
    logger: Logger,
    retryBaseSeconds: number,
    private readonly secrets: Pick<SecretStore, 'openForPlatform'>,
  ) {
    this.ledger = new DeliveryLedger({ query, table: 'webhook_delivery', succeededStatus: 'delivered', maxAttempts, retryBaseSeconds, send, logger });
  }

  /** The current secret, then the previous one inside its grace period, opened from the claimed row's sealed columns. */
  private async signingSecrets(tenantId: string, subscriptionId: string, row: SealedColumns): Promise<string[]> {
    const opened: string[] = [];
    for (const [prefix, key] of [
      ['cur', signingKey(subscriptionId)],
      ['prev', previousKey(subscriptionId)],
    ] as const) {
      const version = row[`${prefix}_version`];
      const ciphertext = row[`${prefix}_ciphertext`];
      const wrapped = row[`${prefix}_wrapped_key`];
      const masterKeyId = row[`${prefix}_master_key_id`];
      if (version === null || !ciphertext || !wrapped || !masterKeyId) continue;
      opened.push(await this.secrets.openForPlatform(tenantId, key, { version, ciphertext, wrapped_key: wrapped, master_key_id: masterKeyId }));
    }
    return opened;
  }

  /**
   * Queues jobs for the pending deliveries of events (every node does this; claims make it safe),
   * in one query for all of them: a mass outage's 100,000 events are a few queries, not 100,000.
   * Once `signal` aborts (the node stops) the rest stay pending for the sweep of a node still running.
   */
  async kick(eventIds: string[], signal?: AbortSignal): Promise<void> {
    if (eventIds.length === 0) return;
    const rows = await this.query<{ id: string; tenant_id: string }>(
      "SELECT id, tenant_id FROM webhook_delivery WHERE event_id = ANY(string_to_array(?, ',')::bigint[]) AND status = 'pending' ORDER BY event_id, id",
      [eventIds.join(',')],
    );
    await queueEach(this.send, rows, signal);
  }

  /**
   * Safety net for jobs lost with a node: pending deliveries that are overdue get a job again. Those
   * of disabled subscriptions wait (a job could not claim them); enabling queues them (`resume`).
   */
  async sweep(signal?: AbortSignal): Promise<void> {
    const rows = await this.query<{ id: string; tenant_id: string }>(
      `SELECT d.id, d.tenant_id FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription_id AND s.enabled
       WHERE d.status = 'pending' AND d.next_attempt_at < now() - interval '30 seconds'
       AND (d.claimed_until IS NULL OR d.claimed_until < now()) LIMIT 1000`,
    );
    await queueEach(this.send, rows, signal);
  }

  /** Creates a delivery of a synthetic webhook.test event for one subscription. */
  async test(subscriptionId: string, tenantId: string): Promise<Record<string, unknown>> {
    // The event, its one delivery (to this subscription only, not to every subscriber of the topic)
    // and the wake-up of live subscribers, in one statement.
    const [delivery] = await this.query<Record<string, unknown>>(
      `WITH e AS (
         INSERT INTO event_outbox (topic, tenant_id, payload) VALUES ('webhook.test', ?, ?) RETURNING id
       )
       INSERT INTO webhook_delivery (id, subscription_id, tenant_id, event_id, topic, status)
       SELECT ?, ?, ?, e.id, 'webhook.test', 'pending' FROM e, LATERAL (SELECT pg_notify('${eventChannel}', e.id::text)) n
       RETURNING *`,
      [tenantId, JSON.stringify({ subscriptionId, message: 'This is a test delivery from itops.' }), randomUUID(), subscriptionId, tenantId],
    );
    await this.send(String(delivery.id), { tenantId });
    return delivery;
  }

  /** Queues the pending deliveries of a subscription that was just enabled (at most 1,000; the sweep takes the rest). */
  async resume(subscriptionId: string, tenantId: string): Promise<void> {
    const rows = await this.query<{ id: string; tenant_id: string }>(
      "SELECT id, tenant_id FROM webhook_delivery WHERE subscription_id = ? AND tenant_id = ? AND status = 'pending' LIMIT 1000",
      [subscriptionId, tenantId],
    );
    await queueEach(this.send, rows);
  }

  /**
   * Delivers settled deliveries again, keeping their id (the webhook-id) and event. The caller picks
   * the ids as the request's workspace; a delivery that went pending meanwhile is left out. Returns
   * the ids queued.
   */
  async replay(ids: string[]): Promise<string[]> {
    return (await this.ledger.reopen(ids)).map((row) => row.id);
  }

  /** `replay` of one delivery: the row as the replay left it (pending, no attempt yet), or undefined when it was pending already. */
  async replayOne<Row extends { id: string; tenant_id: string }>(id: string): Promise<Row | undefined> {
    return (await this.ledger.reopen<Row>([id]))[0];
  }

  /**
   * Why the outbound guard would refuse to deliver to this URL, or null when it would try: the same
   * check a delivery makes (scheme, credentials, every resolved address, the allowlist). A host name
   * that does not resolve now is accepted, since DNS may be set up later; the delivery checks again.
   * So is one whose lookup takes over five seconds: a request must not hang on a slow resolver.
   */
  async receiverRefusal(url: URL): Promise<string | null> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let timer: NodeJS.Timeout | undefined;
    const slowLookup = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), 5000);
    });
    try {
      return await Promise.race([this.outbound.check(url).then(() => null), slowLookup]);
    } catch (error) {
      if (!(error instanceof OutboundBlockedError)) throw error;
      if (error.message === `${host} could not be resolved` || error.message === `${host} has no address`) return null;
      return error.message;
    } finally {
      clearTimeout(timer);
    }
  }

  /** One attempt; `signal` (the job's) abandons it when the node stops, giving the row back. */
  async deliver(deliveryId: string, signal?: AbortSignal): Promise<void> {
    const [job] = await this.query<
      SealedColumns & {
        attempts: number;
        event_id: string;
        topic: string;
        url: string;
        tenant_id: string;
        payload: unknown;
        created_at: Date;
        subscription_id: string;
      }
    >(
      // The signing secrets come sealed with the claim, in the same statement; the previous one only inside its grace period.
      `UPDATE webhook_delivery d SET attempts = d.attempts + 1, claimed_until = now() + interval '1 minute', updated_at = now()
       FROM event_outbox e, webhook_subscription s
         LEFT JOIN workspace_secret cur ON cur.tenant_id = s.tenant_id AND cur.key = ?::text || s.id
         LEFT JOIN workspace_secret prev ON prev.tenant_id = s.tenant_id AND prev.key = ?::text || s.id || '.previous'
           AND s.previous_secret_expires_at > now()
       WHERE d.id = ? AND d.status = 'pending' AND d.next_attempt_at <= now() + interval '1 second'
         AND (d.claimed_until IS NULL OR d.claimed_until < now()) AND s.id = d.subscription_id AND s.enabled AND e.id = d.event_id
       RETURNING d.attempts, d.event_id, d.topic, s.url, s.tenant_id, e.payload, e.created_at, s.id AS subscription_id,
         cur.version AS cur_version, cur.ciphertext AS cur_ciphertext, cur.wrapped_key AS cur_wrapped_key, cur.master_key_id AS cur_master_key_id,
         prev.version AS prev_version, prev.ciphertext AS prev_ciphertext, prev.wrapped_key AS prev_wrapped_key, prev.master_key_id AS prev_master_key_id`,
      [signingKeyPrefix, signingKeyPrefix, deliveryId],
    );
    if (!job) return;
    let secrets: string[];
    try {
      secrets = await this.signingSecrets(job.tenant_id, job.subscription_id, job);
    } catch (error) {
      // A node without the master key that sealed it (nodes must share ITOPS_MASTER_KEY): another node may send it.
      return this.ledger.retryOrFail(deliveryId, job.attempts, null, `the signing secret could not be opened here: ${(error as Error).message}`);
    }
    if (secrets.length === 0) return this.ledger.fail(deliveryId, null, 'the webhook has no signing secret; rotate its secret');
    const body = JSON.stringify({ type: job.topic, timestamp: new Date(job.created_at).toISOString(), eventId: String(job.event_id), data: job.payload });
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const response = await this.outbound.request(job.url, {
        method: 'POST',
        body,
        timeoutMs: 10_000,
        maxResponseBytes: 64 * 1024,
        signal,
        headers: {
          'content-type': 'application/json',
          'webhook-id': deliveryId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secrets, deliveryId, timestamp, body),
        },
      });
      if (response.status >= 200 && response.status < 300) return this.ledger.succeed(deliveryId, response.status);
      if (response.status === 410) {
        await this.query("UPDATE webhook_subscription SET enabled = false, disabled_reason = 'the receiver answered 410 Gone' WHERE id = ?", [
          job.subscription_id,
        ]);
        return this.ledger.fail(deliveryId, 410, 'the receiver answered 410 Gone; the subscription is disabled');
      }
      return this.ledger.retryOrFail(
        deliveryId,
        job.attempts,
        response.status,
        `the receiver answered ${response.status}`,
        retryAfterSeconds(response.headers),
      );
    } catch (error) {
      if (error instanceof OutboundBlockedError) return this.ledger.fail(deliveryId, null, `blocked: ${error.message}`);
      if (signal?.aborted) return this.ledger.release(deliveryId);
      return this.ledger.retryOrFail(deliveryId, job.attempts, null, (error as Error).message);
    }
  }
}
