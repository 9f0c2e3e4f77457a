import { randomBytes, randomUUID } from 'node:crypto';
import { coreFragments } from '../contract/core-fragments.ts';
import { AppError } from '../errors/app-error.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { OperationRequest } from '../plugin-api/index.ts';
import type { WebhookDelivery } from './webhook-delivery.ts';
import type { DatabaseService, SqlQuery as Query } from '../db/sql-handles.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import { actorOf } from '../secrets/secrets.module.ts';
import { previousKey, signingKey } from './webhook-secrets.ts';

type SubscriptionRow = {
  id: string;
  url: string;
  topics: string[];
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
};
type SubscriptionFields = { url: string; topics?: string[]; description?: string | null; enabled?: boolean };
type DeliveryRow = {
  id: string;
  event_id: string;
  topic: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
};

export const webhookPermissions: NonNullable<CoreModule['permissions']> = [
  { name: 'webhooks:read', description: 'See the workspace’s webhook subscriptions and deliveries' },
  { name: 'webhooks:write', description: 'Create, change, test, replay and delete webhook subscriptions and rotate their secrets' },
];

const subscriptionView = (r: SubscriptionRow) => ({
  id: r.id,
  url: r.url,
  topics: r.topics,
  description: r.description,
  enabled: r.enabled,
  disabledReason: r.disabled_reason,
  previousSecretExpiresAt:
    r.previous_secret_expires_at && new Date(r.previous_secret_expires_at) > new Date() ? new Date(r.previous_secret_expires_at).toISOString() : null,
  createdAt: new Date(r.created_at).toISOString(),
});
const deliveryView = (r: DeliveryRow) => ({
  id: r.id,
  eventId: String(r.event_id),
  topic: r.topic,
  status: r.status,
  attempts: r.attempts,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  nextAttemptAt: r.status === 'pending' && r.next_attempt_at ? new Date(r.next_attempt_at).toISOString() : null,
  createdAt: new Date(r.created_at).toISOString(),
});

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const topicsArray = (topics: string[] | undefined) => `{${(topics ?? []).join(',')}}`;
/** How many deliveries one replay request reopens; a second request takes the next ones. */
const replayBatch = 1000;

/**
 * Webhook subscriptions: CRUD (a URL the outbound guard would block is refused up front), re-enabling,
 * secret rotation with a grace period, test deliveries, replays and delivery history. Every request
 * runs as its workspace (`forTenant`): row-level security holds the tenant condition.
 */
export function webhooksModule(deps: { database: Pick<DatabaseService, 'forTenant'>; delivery: WebhookDelivery; secrets: SecretStore }): CoreModule {
  const { delivery, secrets } = deps;
  const sqlOf = (req: OperationRequest<unknown, unknown>): Query => deps.database.forTenant(req.tenantId as string).query;
  const owned = async (req: OperationRequest<unknown, { id: string }>) => {
    const [row] = await sqlOf(req)<SubscriptionRow>('SELECT * FROM webhook_subscription WHERE id = ?', [req.params.id]);
    if (!row) throw new AppError('not_found', `Webhook ${req.params.id} was not found`);
    return row;
  };
  const assertEnabled = (subscription: SubscriptionRow) => {
    if (!subscription.enabled)
      throw new AppError('conflict', `Webhook ${subscription.id} is disabled (${subscription.disabled_reason}); enable it first (PATCH {"enabled": true})`);
  };
  /** An http(s) URL the outbound guard would deliver to, normalized; otherwise a 400 with the guard's reason. */
  const receiverUrl = async (raw: string): Promise<string> => {
    const refuse = (message: string, reason: string) => new AppError('validation_failed', message, { details: [{ path: '/body/url', message: reason }] });
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw refuse('The webhook URL is not a URL', 'must be an absolute http or https URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('The webhook URL must be http or https', 'must be http or https');
    const refusal = await delivery.receiverRefusal(url);
    if (refusal) throw refuse(`Deliveries to this URL would be blocked by the outbound guard: ${refusal}`, refusal);
    return url.href;
  };
  /**
   * Applies changed fields. Enabling clears the disabled reason (also a 410's) and queues the
   * deliveries that waited; disabling through the API says so in the reason.
   */
  const update = async (req: OperationRequest<unknown, { id: string }>, changes: Partial<SubscriptionFields>) => {
    const current = await owned(req);
    const url = changes.url === undefined ? current.url : await receiverUrl(changes.url);
    const enabled = changes.enabled ?? current.enabled;
    const [row] = await sqlOf(req)<SubscriptionRow>(
      `UPDATE webhook_subscription SET url = ?, topics = ?, description = ?, enabled = ?,
         disabled_reason = CASE WHEN ? THEN NULL WHEN enabled THEN 'disabled through the API' ELSE disabled_reason END
       WHERE id = ? RETURNING *`,
      [
        url,
        changes.topics === undefined ? topicsArray(current.topics) : topicsArray(changes.topics),
        changes.description === undefined ? current.description : changes.description,
        enabled,
        enabled,
        current.id,
      ],
    );
    if (!row) throw new AppError('not_found', `Webhook ${req.params.id} was not found`);
    if (row.enabled && !current.enabled) await delivery.resume(row.id, req.tenantId as string);
    return subscriptionView(row);
  };
  return {
    id: 'webhooks',
    openapi: coreFragments.webhooks,
    permissions: webhookPermissions,
    policies: [
      { role: 'integration_admin', permission: 'webhooks:read' },
      { role: 'integration_admin', permission: 'webhooks:write' },
      { role: 'ops_engineer', permission: 'webhooks:read' },
    ],
    handlers: {
      async listWebhooks(req) {
        const rows = await sqlOf(req)<SubscriptionRow>('SELECT * FROM webhook_subscription ORDER BY created_at');
        return { data: rows.map(subscriptionView) };
      },
      async createWebhook(req: OperationRequest<{ url: string; topics?: string[]; description?: string }>) {
        const url = await receiverUrl(req.body.url);
        const secret = newSecret();
        const tenantId = req.tenantId as string;
        // The subscription and its sealed secret commit together: no subscription without a key to sign with.
        // The secret first: its `secrets.written` event reaches the workspace's other subscriptions, not the new one.
        const id = randomUUID();
        const row = await deps.database.forTenant(tenantId).transaction(async (tx) => {
          await secrets.writeIn(tx, tenantId, signingKey(id), secret, actorOf(req.principal));
          const [created] = await tx.query<SubscriptionRow>(
            'INSERT INTO webhook_subscription (id, tenant_id, url, topics, description) VALUES (?, ?, ?, ?, ?) RETURNING *',
            [id, tenantId, url, topicsArray(req.body.topics), req.body.description ?? null],
          );
          return created;
        });
        return { status: 201, body: { ...subscriptionView(row), secret } };
      },
      async replaceWebhook(req: OperationRequest<SubscriptionFields, { id: string }>) {
        return { body: await update(req, { topics: [], description: null, enabled: true, ...req.body }) };
      },
      async updateWebhook(req: OperationRequest<Partial<SubscriptionFields>, { id: string }>) {
        return { body: await update(req, req.body) };
      },
      async rotateWebhookSecret(req: OperationRequest<{ graceSeconds?: number } | undefined, { id: string }>) {
        const tenantId = req.tenantId as string;
        const secret = newSecret();
        const actor = actorOf(req.principal);
        const row = await deps.database.forTenant(tenantId).transaction(async (tx) => {
          // The row lock orders concurrent rotations. Rotating inside a grace period drops the older secret: only the last two ever sign.
          const [locked] = await tx.query<SubscriptionRow>('SELECT * FROM webhook_subscription WHERE id = ? FOR UPDATE', [req.params.id]);
          if (!locked) throw new AppError('not_found', `Webhook ${req.params.id} was not found`);
          // Read on the caller's behalf (it becomes the previous secret): published as a read.
          const current = await secrets.readIn(tx, tenantId, signingKey(locked.id), actor);
          if (current !== undefined) await secrets.writeIn(tx, tenantId, previousKey(locked.id), current, actor);
          await secrets.writeIn(tx, tenantId, signingKey(locked.id), secret, actor);
          const [rotated] = await tx.query<SubscriptionRow>(
            'UPDATE webhook_subscription SET previous_secret_expires_at = now() + make_interval(secs => ?) WHERE id = ? RETURNING *',
            [req.body?.graceSeconds ?? 86_400, locked.id],
          );
          return rotated;
        });
        return { body: { secret, previousSecretExpiresAt: new Date(row.previous_secret_expires_at as Date).toISOString() } };
      },
      async replayWebhookDelivery(req: OperationRequest<unknown, { id: string; deliveryId: string }>) {
        const subscription = await owned(req);
        const sql = sqlOf(req);
        const find = async () =>
          (await sql<DeliveryRow>('SELECT * FROM webhook_delivery WHERE id = ? AND subscription_id = ?', [req.params.deliveryId, subscription.id]))[0];
        const found = await find();
        if (!found) throw new AppError('not_found', `Delivery ${req.params.deliveryId} of webhook ${subscription.id} was not found`);
        assertEnabled(subscription);
        const replayed = found.status === 'pending' ? undefined : await delivery.replayOne<DeliveryRow & { tenant_id: string }>(found.id);
        if (!replayed) throw new AppError('conflict', `Delivery ${found.id} is still pending; it is replayed once it is settled`);
        // As the replay left it: read back later, a worker may already have made its first attempt.
        return { status: 202, body: deliveryView(replayed) };
      },
      async replayFailedWebhookDeliveries(req: OperationRequest<{ since: string }, { id: string }>) {
        const subscription = await owned(req);
        assertEnabled(subscription);
        const failed = await sqlOf(req)<{ id: string }>(
          "SELECT id FROM webhook_delivery WHERE subscription_id = ? AND status = 'failed' AND created_at >= ? ORDER BY created_at, id LIMIT ?",
          [subscription.id, new Date(req.body.since).toISOString(), replayBatch],
        );
        const replayed = await delivery.replay(failed.map((row) => row.id));
        return { status: 202, body: { replayed: replayed.length } };
      },
      async deleteWebhook(req: OperationRequest<unknown, { id: string }>) {
        const tenantId = req.tenantId as string;
        await deps.database.forTenant(tenantId).transaction(async (tx) => {
          const deleted = await tx.query<{ id: string }>('DELETE FROM webhook_subscription WHERE id = ? RETURNING id', [req.params.id]);
          if (deleted.length === 0) throw new AppError('not_found', `Webhook ${req.params.id} was not found`);
          const id = deleted[0].id;
          await secrets.deleteIn(tx, tenantId, [signingKey(id), previousKey(id)], actorOf(req.principal));
        });
        return { status: 204 };
      },
      async testWebhook(req: OperationRequest<unknown, { id: string }>) {
        const subscription = await owned(req);
        assertEnabled(subscription);
        return { status: 202, body: deliveryView((await delivery.test(subscription.id, req.tenantId as string)) as DeliveryRow) };
      },
      async listWebhookDeliveries(req: OperationRequest<unknown, { id: string }, { limit?: number; offset?: number }>) {
        await owned(req);
        const rows = await sqlOf(req)<DeliveryRow>('SELECT * FROM webhook_delivery WHERE subscription_id = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?', [
          req.params.id,
          req.query.limit ?? 50,
          req.query.offset ?? 0,
        ]);
        return { data: rows.map(deliveryView) };
      },
    },
  };
}
