import { randomBytes, randomUUID } from 'node:crypto';
import { coreFragments } from '../contract/core-fragments.ts';
import { AppError } from '../errors/app-error.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { OperationRequest } from '../plugin-api/index.ts';
import type { WebhookDelivery } from './webhook-delivery.ts';
import type { DatabaseService, SqlQuery as Query } from '../db/sql-handles.ts';

type SubscriptionRow = {
  id: string;
  url: string;
  topics: string[];
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  created_at: Date;
};
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
  { name: 'webhooks:write', description: 'Create, test and delete webhook subscriptions' },
];

const subscriptionView = (r: SubscriptionRow) => ({
  id: r.id,
  url: r.url,
  topics: r.topics,
  description: r.description,
  enabled: r.enabled,
  disabledReason: r.disabled_reason,
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

/**
 * Webhook subscriptions: CRUD, test deliveries and delivery history. Every request runs as its
 * workspace (`forTenant`): row-level security holds the tenant condition.
 */
export function webhooksModule(deps: { database: Pick<DatabaseService, 'forTenant'>; delivery: WebhookDelivery }): CoreModule {
  const { delivery } = deps;
  const sqlOf = (req: OperationRequest<unknown, unknown>): Query => deps.database.forTenant(req.tenantId as string).query;
  const owned = async (req: OperationRequest<unknown, { id: string }>) => {
    const [row] = await sqlOf(req)<SubscriptionRow>('SELECT * FROM webhook_subscription WHERE id = ?', [req.params.id]);
    if (!row) throw new AppError('not_found', `Webhook ${req.params.id} was not found`);
    return row;
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
        const url = new URL(req.body.url);
        if (url.protocol !== 'https:' && url.protocol !== 'http:') {
          throw new AppError('validation_failed', 'The webhook URL must be http or https', {
            details: [{ path: '/body/url', message: 'must be http or https' }],
          });
        }
        const secret = `whsec_${randomBytes(24).toString('base64')}`;
        const [row] = await sqlOf(req)<SubscriptionRow>(
          'INSERT INTO webhook_subscription (id, tenant_id, url, topics, description, secret) VALUES (?, ?, ?, ?, ?, ?) RETURNING *',
          [randomUUID(), req.tenantId, url.href, `{${(req.body.topics ?? []).join(',')}}`, req.body.description ?? null, secret],
        );
        return { status: 201, body: { ...subscriptionView(row), secret } };
      },
      async deleteWebhook(req: OperationRequest<unknown, { id: string }>) {
        await owned(req);
        await sqlOf(req)('DELETE FROM webhook_subscription WHERE id = ?', [req.params.id]);
        return { status: 204 };
      },
      async testWebhook(req: OperationRequest<unknown, { id: string }>) {
        const subscription = await owned(req);
        if (!subscription.enabled) throw new AppError('conflict', `Webhook ${subscription.id} is disabled: ${subscription.disabled_reason}`);
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
