import { randomUUID } from 'node:crypto';
import { coreFragments } from '../contract/core-fragments.ts';
import type { DatabaseService } from '../db/sql-handles.ts';
import { AppError } from '../errors/app-error.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import { likePattern, listEnvelope, pageTotal, parseListQuery } from '../lists/list-query.ts';
import type { OperationRequest } from '../plugin-api/index.ts';
import type { SilenceMatchers } from './alert-matching.ts';
import type { AlertNotifier, NotificationRow } from './alert-notifier.ts';
import { notificationView } from './alert-notifier.ts';
import { type AlertRow, alertView, type PublishMany, type Query } from './alert-service.ts';
import type { Severity } from './channel-formats.ts';
import { configView, settleConfig } from './channels/channel-config.ts';
import type { ChannelSecrets } from './channels/channel-secrets.ts';
import { actorOf } from '../secrets/secrets.module.ts';
import type { ChannelConfig, ChannelType } from './channels/channel-type.ts';
import { channelType, channelTypes } from './channels/index.ts';

type ChannelRow = {
  id: string;
  tenant_id: string;
  name: string;
  type: string;
  config: ChannelConfig;
  description: string | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
};
type RuleRow = { id: string; channel_id: string; source: string | null; min_severity: Severity | null; labels: Record<string, string>; created_at: Date };
type SilenceRow = {
  id: string;
  matchers: SilenceMatchers;
  starts_at: Date;
  ends_at: Date;
  comment: string;
  created_by: string;
  created_at: Date;
  cancelled_at: Date | null;
};

export const alertPermissions: NonNullable<CoreModule['permissions']> = [
  { name: 'alerts:read', description: 'See the workspace’s alerts and their notifications' },
  { name: 'channels:read', description: 'See notification channels and their routing rules' },
  { name: 'channels:write', description: 'Create, change, test and delete notification channels and routing rules' },
  { name: 'silences:read', description: 'See silences' },
  { name: 'silences:write', description: 'Create and cancel silences' },
  { name: 'alerts:acknowledge', description: 'Take firing alerts on (acknowledge them)' },
];

const iso = (d: Date) => new Date(d).toISOString();

const ruleView = (r: RuleRow) => ({
  id: r.id,
  channelId: r.channel_id,
  source: r.source,
  minSeverity: r.min_severity,
  labels: r.labels ?? {},
  createdAt: iso(r.created_at),
});

/** A channel's settings: the row's, and its secret ones from the secrets store. */
const storedConfig = (r: ChannelRow, secret: ChannelConfig = {}): ChannelConfig => ({ ...(r.config ?? {}), ...secret });

const channelView = (r: ChannelRow, rules: RuleRow[], secret?: ChannelConfig) => {
  const config = configView(channelType(r.type), storedConfig(r, secret));
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    ...(typeof config.url === 'string' ? { url: config.url } : {}),
    config,
    description: r.description,
    enabled: r.enabled,
    rules: rules.filter((rule) => rule.channel_id === r.id).map(ruleView),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
};

function silenceView(r: SilenceRow, now = Date.now()) {
  const state = r.cancelled_at ? 'cancelled' : new Date(r.ends_at).getTime() <= now ? 'expired' : new Date(r.starts_at).getTime() > now ? 'pending' : 'active';
  return {
    id: r.id,
    matchers: r.matchers ?? {},
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    comment: r.comment,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
    cancelledAt: r.cancelled_at ? iso(r.cancelled_at) : null,
    state,
  };
}

type ChannelInput = { type?: string; url?: string; config?: Record<string, unknown> };

/**
 * The settings a create or update leaves a channel with, checked by its type's declaration. `url`
 * at the top level is the original shorthand for `config.url`. Changing the type starts from empty
 * settings: another type's secrets must not carry over.
 */
function channelSettings(body: ChannelInput, current?: { type: string; config: ChannelConfig }): { type: string; config: ChannelConfig } {
  const typeName = body.type ?? (current?.type as string);
  const type = channelType(typeName);
  if (!type)
    throw new AppError('validation_failed', `Unknown channel type ${typeName}`, { details: [{ path: '/body/type', message: 'is not a channel type' }] });
  const patch: Record<string, unknown> = { ...(body.config ?? {}) };
  if (body.url !== undefined) {
    if (!type.fields.some((f) => f.name === 'url')) {
      throw new AppError('validation_failed', `${type.type} channels have no url`, {
        details: [{ path: '/body/url', message: `is not a setting of ${type.type} channels` }],
      });
    }
    patch.url = body.url;
  }
  const base = current && current.type === type.type ? current.config : {};
  return { type: type.type, config: settleConfig(type, base, patch) };
}

const isUniqueViolation = (error: unknown) => (error as { code?: string })?.code === '23505' || /unique/i.test(String((error as Error)?.message));

type AlertListQuery = { status?: 'firing' | 'resolved'; severity?: Severity; source?: string } & Record<string, unknown>;

/**
 * Alerts (read), notification channels with routing rules, silences, and test notifications.
 * Every request runs as its workspace (`forTenant`): row-level security holds the tenant condition.
 */
export function alertsModule(deps: {
  database: Pick<DatabaseService, 'forTenant'>;
  notifier: AlertNotifier;
  secrets: ChannelSecrets;
  publishMany: PublishMany;
}): CoreModule {
  const { notifier, secrets } = deps;
  const sqlOf = (tenantId: string): Query => deps.database.forTenant(tenantId).query;

  const ownedChannel = async (tenantId: string, id: string) => {
    const [row] = await sqlOf(tenantId)<ChannelRow>('SELECT * FROM notification_channel WHERE id = ?', [id]);
    if (!row) throw new AppError('not_found', `Channel ${id} was not found`);
    return row;
  };
  const rulesOf = (tenantId: string, channelId?: string) =>
    sqlOf(tenantId)<RuleRow>(`SELECT * FROM channel_rule ${channelId ? 'WHERE channel_id = ?' : ''} ORDER BY created_at, id`, channelId ? [channelId] : []);

  const listAlerts = async (req: OperationRequest<unknown, Record<string, string>, AlertListQuery>, status?: 'firing' | 'resolved') => {
    const tenantId = req.tenantId as string;
    const query = sqlOf(tenantId);
    const list = parseListQuery<'lastSeenAt' | 'firstSeenAt' | 'severity' | 'title'>(
      { ...req.query, sortOrder: req.query.sortOrder ?? 'desc' },
      {
        sortable: {
          lastSeenAt: 'last_seen_at',
          firstSeenAt: 'first_seen_at',
          severity: "CASE severity WHEN 'critical' THEN 3 WHEN 'warning' THEN 2 ELSE 1 END",
          title: 'lower(title)',
        },
        defaultSort: 'lastSeenAt',
      },
    );
    const where: string[] = [];
    const params: unknown[] = [];
    const filters: Record<string, unknown> = {};
    const effectiveStatus = status ?? req.query.status;
    if (effectiveStatus) {
      where.push('status = ?');
      params.push(effectiveStatus);
      filters.status = effectiveStatus;
    }
    if (req.query.severity) {
      where.push('severity = ?');
      params.push(req.query.severity);
      filters.severity = req.query.severity;
    }
    if (req.query.source) {
      where.push('source = ?');
      params.push(req.query.source);
      filters.source = req.query.source;
    }
    if (list.q) {
      where.push(`(title ILIKE ? ESCAPE '\\' OR message ILIKE ? ESCAPE '\\' OR entity_id ILIKE ? ESCAPE '\\')`);
      params.push(likePattern(list.q), likePattern(list.q), likePattern(list.q));
    }
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const rows = await query<AlertRow & { total: string }>(
      `SELECT *, count(*) OVER () AS total FROM alert ${filter} ORDER BY ${list.orderBy}, id LIMIT ? OFFSET ?`,
      [...params, list.limit, list.offset],
    );
    const total = await pageTotal(rows, list, async () => {
      const [count] = await query<{ count: string }>(`SELECT count(*) AS count FROM alert ${filter}`, params);
      return Number(count.count);
    });
    return listEnvelope(
      rows.map(({ total: _, ...row }) => alertView(row)),
      total,
      list,
      filters,
    );
  };

  return {
    id: 'alerts',
    openapi: coreFragments.alerts,
    permissions: alertPermissions,
    policies: [
      ...['viewer', 'ops_engineer', 'integration_admin'].flatMap((role) => [
        { role, permission: 'alerts:read' },
        { role, permission: 'channels:read' },
        { role, permission: 'silences:read' },
      ]),
      { role: 'integration_admin', permission: 'channels:write' },
      { role: 'ops_engineer', permission: 'silences:write' },
      { role: 'ops_engineer', permission: 'alerts:acknowledge' },
    ],
    handlers: {
      listAlerts: (req) => listAlerts(req),
      listActiveAlerts: (req) => listAlerts(req, 'firing'),
      async getAlert(req: OperationRequest<unknown, { id: string }>) {
        const query = sqlOf(req.tenantId as string);
        const [row] = await query<AlertRow>('SELECT * FROM alert WHERE id = ?', [req.params.id]);
        if (!row) throw new AppError('not_found', `Alert ${req.params.id} was not found`);
        const notifications = await query<NotificationRow>('SELECT * FROM alert_notification WHERE alert_id = ? ORDER BY created_at, id', [row.id]);
        return { ...alertView(row), notifications: notifications.map(notificationView) };
      },
      async acknowledgeAlert(req: OperationRequest<{ comment?: string } | undefined, { id: string }>) {
        const tenantId = req.tenantId as string;
        const by = req.principal?.name ?? actorOf(req.principal);
        const row = await deps.database.forTenant(tenantId).transaction(async (tx) => {
          const [current] = await tx.query<AlertRow>('SELECT * FROM alert WHERE id = ? FOR UPDATE', [req.params.id]);
          if (!current) throw new AppError('not_found', `Alert ${req.params.id} was not found`);
          if (current.status !== 'firing') throw new AppError('conflict', `Alert ${current.id} is resolved; only a firing alert is acknowledged`);
          if (current.acknowledged_at) return current;
          const [acknowledged] = await tx.query<AlertRow>('UPDATE alert SET acknowledged_at = now(), acknowledged_by = ? WHERE id = ? RETURNING *', [
            by,
            current.id,
          ]);
          await deps.publishMany(tx, [
            {
              topic: 'alert.acknowledged',
              tenantId,
              payload: { alertId: current.id, fingerprint: current.fingerprint, title: current.title, by, comment: req.body?.comment ?? null },
            },
          ]);
          return acknowledged;
        });
        return alertView(row);
      },

      listChannelTypes: () => ({
        data: channelTypes.map((t) => ({
          type: t.type,
          title: t.title,
          fields: t.fields.map((f) => ({ ...f, required: f.required ?? false, secret: f.secret ?? false })),
        })),
      }),
      async listChannels(req) {
        const tenantId = req.tenantId as string;
        const rows = await sqlOf(tenantId)<ChannelRow>('SELECT * FROM notification_channel ORDER BY name');
        const rules = await rulesOf(tenantId);
        // The masks show the end of each secret setting: a read of the caller's, published with it.
        const sealed = await deps.database.forTenant(tenantId).transaction((tx) =>
          secrets.readFor(
            tx,
            tenantId,
            rows.map((r) => r.id),
            actorOf(req.principal),
          ),
        );
        return { data: rows.map((r) => channelView(r, rules, sealed.get(r.id))) };
      },
      async createChannel(req: OperationRequest<ChannelInput & { name: string; type: string; description?: string; enabled?: boolean }>) {
        const settings = channelSettings(req.body);
        const tenantId = req.tenantId as string;
        const id = randomUUID();
        try {
          // The row and its sealed settings commit together; the row keeps only what is not secret.
          const row = await deps.database.forTenant(tenantId).transaction(async (tx) => {
            const plain = await secrets.save(tx, tenantId, id, channelType(settings.type) as ChannelType, settings.config, {}, actorOf(req.principal));
            const [created] = await tx.query<ChannelRow>(
              'INSERT INTO notification_channel (id, tenant_id, name, type, config, description, enabled) VALUES (?, ?, ?, ?, ?::jsonb, ?, ?) RETURNING *',
              [id, tenantId, req.body.name.trim(), settings.type, JSON.stringify(plain), req.body.description ?? null, req.body.enabled ?? true],
            );
            return created;
          });
          return { status: 201, body: channelView(row, [], settings.config) };
        } catch (error) {
          if (isUniqueViolation(error)) throw new AppError('conflict', `A channel named ${req.body.name.trim()} already exists`);
          throw error;
        }
      },
      async updateChannel(req: OperationRequest<ChannelInput & { name?: string; description?: string | null; enabled?: boolean }, { id: string }>) {
        const tenantId = req.tenantId as string;
        const current = await ownedChannel(tenantId, req.params.id);
        const actor = actorOf(req.principal);
        const name = req.body.name?.trim() ?? current.name;
        try {
          // The current secret settings are read (a published read) to merge the change into, in the transaction that writes them.
          const { row, settings } = await deps.database.forTenant(tenantId).transaction(async (tx) => {
            const currentSecret = (await secrets.readFor(tx, tenantId, [current.id], actor)).get(current.id) ?? {};
            const settings = channelSettings(req.body, { type: current.type, config: storedConfig(current, currentSecret) });
            const type = channelType(settings.type) as ChannelType;
            const plain = await secrets.save(tx, tenantId, current.id, type, settings.config, currentSecret, actor);
            const [updated] = await tx.query<ChannelRow>(
              'UPDATE notification_channel SET name = ?, type = ?, config = ?::jsonb, description = ?, enabled = ?, updated_at = now() WHERE id = ? RETURNING *',
              [
                name,
                settings.type,
                JSON.stringify(plain),
                req.body.description === undefined ? current.description : req.body.description,
                req.body.enabled ?? current.enabled,
                current.id,
              ],
            );
            return { row: updated, settings };
          });
          return channelView(row, await rulesOf(tenantId, row.id), settings.config);
        } catch (error) {
          if (isUniqueViolation(error)) throw new AppError('conflict', `A channel named ${name} already exists`);
          throw error;
        }
      },
      async deleteChannel(req: OperationRequest<unknown, { id: string }>) {
        const channel = await ownedChannel(req.tenantId as string, req.params.id);
        await deps.database.forTenant(channel.tenant_id).transaction(async (tx) => {
          await tx.query('DELETE FROM notification_channel WHERE id = ?', [channel.id]);
          await secrets.delete(tx, channel.tenant_id, channel.id, actorOf(req.principal));
        });
        return { status: 204 };
      },
      async testChannel(req: OperationRequest<{ message?: string } | undefined, { id: string }>) {
        const channel = await ownedChannel(req.tenantId as string, req.params.id);
        return notificationView(await notifier.test(channel, req.body?.message));
      },
      async createChannelRule(req: OperationRequest<{ source?: string; minSeverity?: Severity; labels?: Record<string, string> }, { id: string }>) {
        const channel = await ownedChannel(req.tenantId as string, req.params.id);
        const [row] = await sqlOf(channel.tenant_id)<RuleRow>(
          'INSERT INTO channel_rule (id, channel_id, tenant_id, source, min_severity, labels) VALUES (?, ?, ?, ?, ?, ?::jsonb) RETURNING *',
          [randomUUID(), channel.id, channel.tenant_id, req.body.source ?? null, req.body.minSeverity ?? null, JSON.stringify(req.body.labels ?? {})],
        );
        return { status: 201, body: ruleView(row) };
      },
      async deleteChannelRule(req: OperationRequest<unknown, { id: string; rule_id: string }>) {
        const channel = await ownedChannel(req.tenantId as string, req.params.id);
        const deleted = await sqlOf(channel.tenant_id)<{ id: string }>('DELETE FROM channel_rule WHERE id = ? AND channel_id = ? RETURNING id', [
          req.params.rule_id,
          channel.id,
        ]);
        if (deleted.length === 0) throw new AppError('not_found', `Rule ${req.params.rule_id} was not found on channel ${channel.id}`);
        return { status: 204 };
      },

      async listSilences(req: OperationRequest<unknown, Record<string, string>, { includeExpired?: boolean }>) {
        const open = req.query.includeExpired ? '' : 'WHERE cancelled_at IS NULL AND ends_at > now()';
        const rows = await sqlOf(req.tenantId as string)<SilenceRow>(`SELECT * FROM silence ${open} ORDER BY ends_at, id`);
        return { data: rows.map((r) => silenceView(r)) };
      },
      async createSilence(req: OperationRequest<{ matchers: SilenceMatchers; startsAt?: string; endsAt: string; comment: string }>) {
        const now = Date.now();
        const startsAt = req.body.startsAt ? new Date(req.body.startsAt) : new Date(now);
        const endsAt = new Date(req.body.endsAt);
        const problems: { path: string; message: string }[] = [];
        if (endsAt.getTime() <= now) problems.push({ path: '/body/endsAt', message: 'must be in the future' });
        if (endsAt.getTime() <= startsAt.getTime()) problems.push({ path: '/body/endsAt', message: 'must be after startsAt' });
        if (problems.length > 0) throw new AppError('validation_failed', 'Invalid silence period', { details: problems });
        const createdBy = req.principal?.name ?? req.principal?.id ?? 'unknown';
        const [row] = await sqlOf(req.tenantId as string)<SilenceRow>(
          'INSERT INTO silence (id, tenant_id, matchers, starts_at, ends_at, comment, created_by) VALUES (?, ?, ?::jsonb, ?, ?, ?, ?) RETURNING *',
          [randomUUID(), req.tenantId, JSON.stringify(req.body.matchers), startsAt, endsAt, req.body.comment, createdBy],
        );
        return { status: 201, body: silenceView(row) };
      },
      async deleteSilence(req: OperationRequest<unknown, { id: string }>) {
        const query = sqlOf(req.tenantId as string);
        const [row] = await query<{ id: string }>('SELECT id FROM silence WHERE id = ?', [req.params.id]);
        if (!row) throw new AppError('not_found', `Silence ${req.params.id} was not found`);
        await query('UPDATE silence SET cancelled_at = coalesce(cancelled_at, now()) WHERE id = ?', [row.id]);
        return { status: 204 };
      },

      async testNotification(req: OperationRequest<{ channelId?: string; channel?: string; message?: string }>) {
        const tenantId = req.tenantId as string;
        let channel: ChannelRow;
        if (req.body.channelId) channel = await ownedChannel(tenantId, req.body.channelId);
        else {
          const [row] = await sqlOf(tenantId)<ChannelRow>('SELECT * FROM notification_channel WHERE name = ?', [req.body.channel]);
          if (!row) throw new AppError('not_found', `Channel ${req.body.channel} was not found`);
          channel = row;
        }
        return notificationView(await notifier.test(channel, req.body.message));
      },
    },
  };
}
