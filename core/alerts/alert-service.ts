import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { EventDeclaration } from '../plugin-api/types.ts';
import { channelSelected, type RoutingRule, type SilenceMatchers, silenceMatches } from './alert-matching.ts';
import type { Severity } from './channel-formats.ts';
import type { SqlQuery, Tx } from '../db/sql-handles.ts';
import type {
  Alert,
  AlertsService,
  ChannelMessageInput,
  NotificationChannelsService,
  NotificationChannelSummary,
  RaiseAlert,
  ResolveAlert,
} from './alert-types.ts';

export type { Alert, AlertsService, RaiseAlert, ResolveAlert } from './alert-types.ts';

export type Query = SqlQuery;
export type PublishMany = (tx: Tx, events: { topic: string; tenantId?: string | null; payload: unknown }[]) => Promise<string[]>;

export const alertEventTopics: EventDeclaration[] = [
  { topic: 'alert.triggered', description: 'An alert started firing.' },
  { topic: 'alert.resolved', description: 'A firing alert was resolved.' },
  { topic: 'alert.acknowledged', description: 'Someone took a firing alert on (it keeps firing until resolved).' },
];

export type AlertRow = {
  id: string;
  tenant_id: string;
  fingerprint: string;
  source: string;
  entity_type: string;
  entity_id: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  title: string;
  message: string | null;
  labels: Record<string, string>;
  count: number;
  first_seen_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
  notified_at: Date | null;
  silenced_by: string | null;
  acknowledged_at?: Date | null;
  acknowledged_by?: string | null;
};

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export const alertView = (r: AlertRow): Alert => ({
  id: r.id,
  fingerprint: r.fingerprint,
  source: r.source,
  entityType: r.entity_type,
  entityId: r.entity_id,
  severity: r.severity,
  status: r.status,
  title: r.title,
  message: r.message,
  labels: r.labels ?? {},
  count: r.count,
  firstSeenAt: iso(r.first_seen_at) as string,
  lastSeenAt: iso(r.last_seen_at) as string,
  resolvedAt: iso(r.resolved_at),
  silencedBy: r.silenced_by,
  notifiedAt: iso(r.notified_at),
  acknowledgedAt: iso(r.acknowledged_at ?? null),
  acknowledgedBy: r.acknowledged_by ?? null,
});

export function alertFingerprint(a: { source: string; entityType: string; entityId: string; title: string }): string {
  return createHash('sha256')
    .update(JSON.stringify([a.source, a.entityType, a.entityId, a.title]))
    .digest('hex')
    .slice(0, 32);
}

const severities = new Set(['critical', 'warning', 'info']);
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkRaise(a: RaiseAlert): void {
  const problems: { path: string; message: string }[] = [];
  const text = (name: keyof RaiseAlert, max: number) => {
    const value = a[name];
    if (typeof value !== 'string' || value.trim() === '' || value.length > max)
      problems.push({ path: `/${name}`, message: `must be a non-empty string of at most ${max} characters` });
  };
  text('tenantId', 100);
  text('source', 100);
  text('entityType', 100);
  text('entityId', 300);
  text('title', 500);
  if (!severities.has(a.severity)) problems.push({ path: '/severity', message: 'must be critical, warning or info' });
  if (a.message !== undefined && (typeof a.message !== 'string' || a.message.length > 10_000))
    problems.push({ path: '/message', message: 'must be a string of at most 10000 characters' });
  if (a.fingerprint !== undefined && (typeof a.fingerprint !== 'string' || a.fingerprint === '' || a.fingerprint.length > 200))
    problems.push({ path: '/fingerprint', message: 'must be a non-empty string of at most 200 characters' });
  for (const [k, v] of Object.entries(a.labels ?? {})) if (typeof v !== 'string') problems.push({ path: `/labels/${k}`, message: 'must be a string' });
  if (problems.length > 0) throw new AppError('validation_failed', 'Invalid alert', { details: problems });
}

/**
 * Raises and resolves alerts inside the caller's transaction. The transaction may be a platform one
 * (a sweep across workspaces raising each workspace's alerts), which row-level security does not
 * bind: so the statements here name the alert's tenant themselves, and a workspace's transaction
 * is checked to raise only its own alerts.
 */
export class AlertService implements AlertsService {
  constructor(
    private readonly deps: {
      /** Writes events through the outbox in one statement, in the given order. */
      publishMany: PublishMany;
      /** Queues the delivery jobs of notification rows (after commit), each in its tenant's group. */
      enqueueMany: (queued: Queued[]) => Promise<unknown>;
      logger: Logger;
    },
  ) {}

  async get(tx: Tx, id: string): Promise<Alert | null> {
    const [row] = await tx.query<AlertRow>('SELECT * FROM alert WHERE id = ?', [id]);
    return row ? alertView(row) : null;
  }

  async countFiring(tx: Tx): Promise<number> {
    const [row] = await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM alert WHERE status = 'firing'");
    return row.n;
  }

  async raise(tx: Tx, input: RaiseAlert): Promise<Alert> {
    const [alert] = await this.raiseMany(tx, [input]);
    return alert;
  }

  async resolve(tx: Tx, input: ResolveAlert): Promise<Alert | null> {
    const [alert] = await this.resolveMany(tx, [input]);
    return alert;
  }

  /**
   * At most four statements whatever the batch (and what the outbox's publish hooks add, the
   * webhook fan-out's one): the silences and channels of the batch's workspaces, the upsert (new
   * alerts inserted already silenced or notified), the triggered events, and one statement
   * recording the notifications.
   */
  async raiseMany(tx: Tx, inputs: RaiseAlert[]): Promise<Alert[]> {
    for (const input of inputs) checkRaise(input);
    for (const input of inputs) checkTenant(tx, input.tenantId);
    if (inputs.length === 0) return [];
    // One statement cannot update a row twice, so a fingerprint raised twice is one upsert counting
    // both: the identity of its first raise (what inserting it would keep), the rest of its last.
    const upserts = new Map<string, UpsertRow>();
    const keys = inputs.map((input) => {
      const fingerprint = input.fingerprint ?? alertFingerprint(input);
      const key = alertKey(input.tenantId, fingerprint);
      const first = upserts.get(key);
      upserts.set(key, {
        tenant_id: input.tenantId,
        fingerprint,
        source: first?.source ?? input.source,
        entity_type: first?.entity_type ?? input.entityType,
        entity_id: first?.entity_id ?? input.entityId,
        severity: input.severity,
        title: input.title,
        message: input.message ?? null,
        labels: input.labels ?? {},
        times: (first?.times ?? 0) + 1,
      });
      return key;
    });
    const q = tx.query;
    // Routed before the upsert: a new alert is inserted silenced or notified, not updated once more
    // after (an update of a row just inserted into a full page costs as much as the insert).
    const routing = await readRouting(q, [...new Set(inputs.map((input) => input.tenantId))]);
    const values = [...upserts.values()].map((u) => ({ ...u, silenced_by: routing.silenceOf(u) }));
    // Sorted so that two batches upserting the same alerts lock them in the same order.
    const returned = await q<AlertRow & { inserted: boolean }>(
      `INSERT INTO alert (id, tenant_id, fingerprint, source, entity_type, entity_id, severity, status, title, message, labels, count, silenced_by, notified_at)
       SELECT gen_random_uuid(), x.tenant_id, x.fingerprint, x.source, x.entity_type, x.entity_id, x.severity, 'firing', x.title, x.message, x.labels, x.times,
         x.silenced_by, CASE WHEN x.silenced_by IS NULL THEN now() END
       FROM jsonb_to_recordset(?::jsonb) AS x(tenant_id text, fingerprint text, source text, entity_type text, entity_id text, severity text,
         title text, message text, labels jsonb, times integer, silenced_by uuid)
       ORDER BY x.tenant_id, x.fingerprint
       ON CONFLICT (tenant_id, fingerprint) WHERE status = 'firing' DO UPDATE SET
         last_seen_at = now(), count = alert.count + excluded.count, severity = excluded.severity, title = excluded.title,
         message = excluded.message, labels = excluded.labels
       RETURNING *, (xmax = 0) AS inserted`,
      [JSON.stringify(values)],
    );
    const byKey = new Map(returned.map((row) => [alertKey(row.tenant_id, row.fingerprint), row]));
    // In the order of their first raise, as raising one by one would publish and notify them.
    const rows = [...upserts.keys()].map((key) => byKey.get(key) as AlertRow & { inserted: boolean });
    const opened = rows.filter((row) => row.inserted);
    if (opened.length > 0) {
      await this.deps.publishMany(
        tx,
        opened.map((row) => ({ topic: 'alert.triggered', tenantId: row.tenant_id, payload: eventPayload(row) })),
      );
    }
    // Notify once per firing alert; one held back by a silence is notified when raised after it ends.
    const queued = await this.notify(q, rows, routing);
    if (queued.length > 0) tx.afterCommit(() => this.enqueueAll(queued));
    const views = new Map(rows.map(({ inserted: _, ...row }) => [alertKey(row.tenant_id, row.fingerprint), alertView(row)]));
    return keys.map((key) => views.get(key) as Alert);
  }

  /** At most three statements whatever the batch (and the publish hooks'): the update, the resolved events, their notifications. */
  async resolveMany(tx: Tx, inputs: ResolveAlert[]): Promise<(Alert | null)[]> {
    for (const input of inputs) checkTenant(tx, input.tenantId);
    if (inputs.length === 0) return [];
    const keys = inputs.map((input) =>
      alertKey(input.tenantId, input.fingerprint ?? alertFingerprint(input as Exclude<ResolveAlert, { fingerprint: string }>)),
    );
    const wanted = [...new Set(keys)].map((key) => {
      const [tenant_id, fingerprint] = JSON.parse(key) as [string, string];
      return { tenant_id, fingerprint };
    });
    const q = tx.query;
    const returned = await q<AlertRow>(
      `UPDATE alert SET status = 'resolved', resolved_at = now()
       FROM jsonb_to_recordset(?::jsonb) AS x(tenant_id text, fingerprint text)
       WHERE alert.tenant_id = x.tenant_id AND alert.fingerprint = x.fingerprint AND alert.status = 'firing'
       RETURNING alert.*`,
      [JSON.stringify(wanted)],
    );
    const byKey = new Map(returned.map((row) => [alertKey(row.tenant_id, row.fingerprint), row]));
    const rows = wanted.flatMap((w) => byKey.get(alertKey(w.tenant_id, w.fingerprint)) ?? []);
    if (rows.length > 0) {
      await this.deps.publishMany(
        tx,
        rows.map((row) => ({ topic: 'alert.resolved', tenantId: row.tenant_id, payload: eventPayload(row) })),
      );
      // The channels told it fired hear that it resolved.
      const queued = await q<Queued>(
        `INSERT INTO alert_notification (id, tenant_id, alert_id, channel_id, channel_name, kind, status)
         SELECT gen_random_uuid(), c.tenant_id, a.id, c.id, c.name, 'resolved', 'pending'
         FROM unnest(?::uuid[]) WITH ORDINALITY AS a(id, n), notification_channel c
         WHERE c.enabled AND c.id IN (SELECT f.channel_id FROM alert_notification f WHERE f.alert_id = a.id AND f.kind = 'firing')
         ORDER BY a.n, c.name
         RETURNING id, tenant_id`,
        [rows.map((row) => row.id)],
      );
      if (queued.length > 0) tx.afterCommit(() => this.enqueueAll(queued));
    }
    // Only the first entry of a fingerprint given twice resolved it; the second found none firing.
    const views = new Map(rows.map((row) => [alertKey(row.tenant_id, row.fingerprint), alertView(row)]));
    return keys.map((key) => {
      const view = views.get(key) ?? null;
      views.delete(key);
      return view;
    });
  }

  /** What plugins get as `tokens.channels`: the channel methods below. */
  channels(): NotificationChannelsService {
    return { find: (tx, id) => this.channel(tx, id), send: (tx, message) => this.sendToChannel(tx, message) };
  }

  async channel(tx: Tx, id: string): Promise<NotificationChannelSummary | null> {
    if (!uuidPattern.test(id)) return null;
    const [row] = await tx.query<NotificationChannelSummary>('SELECT id, name, type, enabled FROM notification_channel WHERE id = ?', [id]);
    return row ?? null;
  }

  async sendToChannel(tx: Tx, input: ChannelMessageInput): Promise<{ notificationId: string }> {
    checkTenant(tx, input.tenantId);
    const problems: { path: string; message: string }[] = [];
    if (!severities.has(input.severity)) problems.push({ path: '/severity', message: 'must be critical, warning or info' });
    if (typeof input.title !== 'string' || input.title.trim() === '' || input.title.length > 500)
      problems.push({ path: '/title', message: 'must be a non-empty string of at most 500 characters' });
    if (typeof input.message !== 'string' || input.message.length > 10_000)
      problems.push({ path: '/message', message: 'must be a string of at most 10000 characters' });
    if (typeof input.source !== 'string' || input.source.trim() === '' || input.source.length > 100)
      problems.push({ path: '/source', message: 'must be a non-empty string of at most 100 characters' });
    if (problems.length > 0) throw new AppError('validation_failed', 'Invalid channel message', { details: problems });
    // A platform transaction sees every workspace's channels: the channel must be the message's workspace's.
    const [channel] = uuidPattern.test(input.channelId)
      ? await tx.query<NotificationChannelSummary>('SELECT id, name, type, enabled FROM notification_channel WHERE id = ? AND tenant_id = ?', [
          input.channelId,
          input.tenantId,
        ])
      : [];
    if (!channel) throw new AppError('not_found', `Channel ${input.channelId} was not found`);
    const id = randomUUID();
    await tx.query(
      `INSERT INTO alert_notification (id, tenant_id, channel_id, channel_name, kind, message, title, severity, source, status, last_error)
       VALUES (?, ?, ?, ?, 'message', ?, ?, ?, ?, ?, ?)`,
      [
        id,
        input.tenantId,
        channel.id,
        channel.name,
        input.message,
        input.title,
        input.severity,
        input.source,
        channel.enabled ? 'pending' : 'failed',
        channel.enabled ? null : 'the channel is disabled',
      ],
    );
    if (channel.enabled) tx.afterCommit(() => this.enqueueAll([{ id, tenant_id: input.tenantId }]));
    return { notificationId: id };
  }

  /**
   * The notifications of alerts this raise notified: the new ones inserted unsilenced, and firing
   * ones still held back by a silence that has ended since (those are routed and updated here).
   * One statement, none when nobody is to be told.
   */
  private async notify(q: Query, rows: (AlertRow & { inserted: boolean })[], routing: Routing): Promise<Queued[]> {
    const late = rows.filter((row) => !row.inserted && !row.notified_at);
    const silencedBy = new Map(late.map((row) => [row, routing.silenceOf(row)]));
    const notifications = rows
      .filter((row) => (row.inserted ? row.notified_at !== null : silencedBy.has(row) && !silencedBy.get(row)))
      .flatMap((row) =>
        routing.channelsOf(row).map((c) => ({ id: randomUUID(), tenant_id: row.tenant_id, alert_id: row.id, channel_id: c.id, channel_name: c.name })),
      );
    if (late.length === 0) {
      if (notifications.length > 0) {
        await q(
          `INSERT INTO alert_notification (id, tenant_id, alert_id, channel_id, channel_name, kind, status)
           SELECT x.id, x.tenant_id, x.alert_id, x.channel_id, x.channel_name, 'firing', 'pending'
           FROM jsonb_to_recordset(?::jsonb) AS x(id uuid, tenant_id text, alert_id uuid, channel_id uuid, channel_name text)`,
          [JSON.stringify(notifications)],
        );
      }
      return notifications.map((n) => ({ id: n.id, tenant_id: n.tenant_id }));
    }
    const updated = await q<{ id: string; notified_at: Date | null; silenced_by: string | null }>(
      `WITH queued AS (
         INSERT INTO alert_notification (id, tenant_id, alert_id, channel_id, channel_name, kind, status)
         SELECT x.id, x.tenant_id, x.alert_id, x.channel_id, x.channel_name, 'firing', 'pending'
         FROM jsonb_to_recordset(?::jsonb) AS x(id uuid, tenant_id text, alert_id uuid, channel_id uuid, channel_name text)
       )
       UPDATE alert SET silenced_by = x.silenced_by, notified_at = CASE WHEN x.silenced_by IS NULL THEN now() ELSE alert.notified_at END
       FROM jsonb_to_recordset(?::jsonb) AS x(id uuid, silenced_by uuid)
       WHERE alert.id = x.id
       RETURNING alert.id, alert.notified_at, alert.silenced_by`,
      [JSON.stringify(notifications), JSON.stringify(late.map((row) => ({ id: row.id, silenced_by: silencedBy.get(row) ?? null })))],
    );
    const byId = new Map(updated.map((u) => [u.id, u]));
    for (const row of late) {
      const u = byId.get(row.id);
      if (!u) continue;
      row.notified_at = u.notified_at;
      row.silenced_by = u.silenced_by;
    }
    return notifications.map((n) => ({ id: n.id, tenant_id: n.tenant_id }));
  }

  /** In one statement: a mass outage queues thousands after its commit, and the sweep that raised them waits for that. */
  private async enqueueAll(queued: Queued[]): Promise<void> {
    // The sweep re-queues what could not be queued here.
    await this.deps
      .enqueueMany(queued)
      .catch((error) => this.deps.logger.warn({ err: error, notifications: queued.length }, 'could not queue alert notifications'));
  }
}

/** One upsert: the columns a raise sets, and how many raises of the batch it stands for. */
type UpsertRow = Pick<AlertRow, 'tenant_id' | 'fingerprint' | 'source' | 'entity_type' | 'entity_id' | 'severity' | 'title' | 'message' | 'labels'> & {
  times: number;
};

/** A notification row to queue a job for. */
type Queued = { id: string; tenant_id: string };

const alertKey = (tenantId: string, fingerprint: string) => JSON.stringify([tenantId, fingerprint]);

const matchable = (row: Matchable) => ({
  source: row.source,
  entityType: row.entity_type,
  entityId: row.entity_id,
  severity: row.severity,
  labels: row.labels ?? {},
});

type Matchable = Pick<AlertRow, 'tenant_id' | 'source' | 'entity_type' | 'entity_id' | 'severity' | 'labels'>;

/** The active silences and enabled channels of a batch's workspaces, matched in memory. */
interface Routing {
  /** The silence holding the alert back (the one ending last), or null. */
  silenceOf(row: Matchable): string | null;
  /** The channels whose rules select the alert, by name. */
  channelsOf(row: Matchable): { id: string; name: string }[];
}

/** One round trip for both: a batch of any size reads them once. */
async function readRouting(q: Query, tenants: string[]): Promise<Routing> {
  const [read] = await q<{
    silences: { id: string; tenant_id: string; matchers: SilenceMatchers }[];
    channels: { id: string; tenant_id: string; name: string; rules: RoutingRule[] }[];
  }>(
    `SELECT
       (SELECT coalesce(json_agg(json_build_object('id', s.id, 'tenant_id', s.tenant_id, 'matchers', s.matchers) ORDER BY s.ends_at DESC), '[]')
          FROM silence s
         WHERE s.tenant_id = ANY(?::text[]) AND s.cancelled_at IS NULL AND s.starts_at <= now() AND s.ends_at > now()) AS silences,
       (SELECT coalesce(json_agg(ch ORDER BY ch.name), '[]') FROM (
          SELECT c.id, c.tenant_id, c.name, coalesce(json_agg(json_build_object('source', r.source, 'minSeverity', r.min_severity, 'labels', r.labels))
                   FILTER (WHERE r.id IS NOT NULL), '[]') AS rules
            FROM notification_channel c LEFT JOIN channel_rule r ON r.channel_id = c.id
           WHERE c.tenant_id = ANY(?::text[]) AND c.enabled GROUP BY c.id) ch) AS channels`,
    [tenants, tenants],
  );
  return {
    silenceOf: (row) => read.silences.find((s) => s.tenant_id === row.tenant_id && silenceMatches(s.matchers, matchable(row)))?.id ?? null,
    channelsOf: (row) => read.channels.filter((c) => c.tenant_id === row.tenant_id && channelSelected(c.rules, matchable(row))),
  };
}

/** A tenant's transaction raises only that tenant's alerts (a platform transaction may raise any). */
function checkTenant(tx: Tx, tenantId: string): void {
  if (tx.tenantId !== null && tx.tenantId !== tenantId) throw new AppError('internal', `an alert of ${tenantId} was raised in a transaction of ${tx.tenantId}`);
}

function eventPayload(row: AlertRow) {
  return {
    alertId: row.id,
    fingerprint: row.fingerprint,
    source: row.source,
    entityType: row.entity_type,
    entityId: row.entity_id,
    severity: row.severity,
    title: row.title,
    labels: row.labels ?? {},
  };
}
