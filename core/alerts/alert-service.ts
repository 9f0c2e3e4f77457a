import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { EventDeclaration } from '../plugin-api/types.ts';
import { channelSelected, type RoutingRule, type SilenceMatchers, silenceMatches } from './alert-matching.ts';
import type { Severity } from './channel-formats.ts';
import type { SqlQuery, Tx } from '../db/sql-handles.ts';
import type { Alert, AlertsService, RaiseAlert, ResolveAlert } from './alert-types.ts';

export type { Alert, AlertsService, RaiseAlert, ResolveAlert } from './alert-types.ts';

export type Query = SqlQuery;
export type Publish = (tx: Tx, event: { topic: string; tenantId?: string | null; payload: unknown }) => Promise<string>;

export const alertEventTopics: EventDeclaration[] = [
  { topic: 'alert.triggered', description: 'An alert started firing.' },
  { topic: 'alert.resolved', description: 'A firing alert was resolved.' },
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
});

export function alertFingerprint(a: { source: string; entityType: string; entityId: string; title: string }): string {
  return createHash('sha256')
    .update(JSON.stringify([a.source, a.entityType, a.entityId, a.title]))
    .digest('hex')
    .slice(0, 32);
}

const severities = new Set(['critical', 'warning', 'info']);

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
      publish: Publish;
      /** Queues the delivery job of a notification row (after commit). */
      enqueue: (notificationId: string) => Promise<unknown>;
      logger: Logger;
    },
  ) {}

  async raise(tx: Tx, input: RaiseAlert): Promise<Alert> {
    checkRaise(input);
    checkTenant(tx, input.tenantId);
    const fingerprint = input.fingerprint ?? alertFingerprint(input);
    const labels = input.labels ?? {};
    const q = tx.query;
    {
      const [row] = await q<AlertRow & { inserted: boolean }>(
        `INSERT INTO alert (id, tenant_id, fingerprint, source, entity_type, entity_id, severity, status, title, message, labels)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'firing', ?, ?, ?::jsonb)
         ON CONFLICT (tenant_id, fingerprint) WHERE status = 'firing' DO UPDATE SET
           last_seen_at = now(), count = alert.count + 1, severity = excluded.severity, title = excluded.title,
           message = excluded.message, labels = excluded.labels
         RETURNING *, (xmax = 0) AS inserted`,
        [
          randomUUID(),
          input.tenantId,
          fingerprint,
          input.source,
          input.entityType,
          input.entityId,
          input.severity,
          input.title,
          input.message ?? null,
          JSON.stringify(labels),
        ],
      );
      if (row.inserted) {
        await this.deps.publish(tx, { topic: 'alert.triggered', tenantId: input.tenantId, payload: eventPayload(row) });
      }
      // Notify once per firing alert; one held back by a silence is notified when raised after it ends.
      const queued = row.notified_at ? [] : await this.route(q, row);
      if (queued.length > 0) tx.afterCommit(() => this.enqueueAll(queued));
      const { inserted: _, ...alert } = row;
      return alertView(alert);
    }
  }

  async resolve(tx: Tx, input: ResolveAlert): Promise<Alert | null> {
    checkTenant(tx, input.tenantId);
    const fingerprint = input.fingerprint ?? alertFingerprint(input as Exclude<ResolveAlert, { fingerprint: string }>);
    const q = tx.query;
    {
      const [row] = await q<AlertRow>(
        `UPDATE alert SET status = 'resolved', resolved_at = now() WHERE tenant_id = ? AND fingerprint = ? AND status = 'firing' RETURNING *`,
        [input.tenantId, fingerprint],
      );
      if (!row) return null;
      await this.deps.publish(tx, { topic: 'alert.resolved', tenantId: input.tenantId, payload: eventPayload(row) });
      // The channels told it fired hear that it resolved.
      const queued = await q<{ id: string }>(
        `INSERT INTO alert_notification (id, tenant_id, alert_id, channel_id, channel_name, kind, status)
         SELECT gen_random_uuid(), c.tenant_id, ?, c.id, c.name, 'resolved', 'pending' FROM notification_channel c
         WHERE c.enabled AND c.id IN (SELECT channel_id FROM alert_notification WHERE alert_id = ? AND kind = 'firing')
         RETURNING id`,
        [row.id, row.id],
      );
      if (queued.length > 0) tx.afterCommit(() => this.enqueueAll(queued.map((n) => n.id)));
      return alertView(row);
    }
  }

  /** Picks the channels for a firing alert, unless a silence holds it back; records which. */
  private async route(q: Query, row: AlertRow): Promise<string[]> {
    const alert = { source: row.source, entityType: row.entity_type, entityId: row.entity_id, severity: row.severity, labels: row.labels ?? {} };
    const silences = await q<{ id: string; matchers: SilenceMatchers }>(
      'SELECT id, matchers FROM silence WHERE tenant_id = ? AND cancelled_at IS NULL AND starts_at <= now() AND ends_at > now() ORDER BY ends_at DESC',
      [row.tenant_id],
    );
    const silence = silences.find((s) => silenceMatches(s.matchers, alert));
    if (silence) {
      await q('UPDATE alert SET silenced_by = ? WHERE id = ?', [silence.id, row.id]);
      row.silenced_by = silence.id;
      return [];
    }
    const channels = await q<{ id: string; name: string; rules: RoutingRule[] }>(
      `SELECT c.id, c.name, coalesce(json_agg(json_build_object('source', r.source, 'minSeverity', r.min_severity, 'labels', r.labels))
         FILTER (WHERE r.id IS NOT NULL), '[]') AS rules
       FROM notification_channel c LEFT JOIN channel_rule r ON r.channel_id = c.id
       WHERE c.tenant_id = ? AND c.enabled GROUP BY c.id ORDER BY c.name`,
      [row.tenant_id],
    );
    const ids: string[] = [];
    for (const channel of channels.filter((c) => channelSelected(c.rules, alert))) {
      const id = randomUUID();
      await q(`INSERT INTO alert_notification (id, tenant_id, alert_id, channel_id, channel_name, kind, status) VALUES (?, ?, ?, ?, ?, 'firing', 'pending')`, [
        id,
        row.tenant_id,
        row.id,
        channel.id,
        channel.name,
      ]);
      ids.push(id);
    }
    const [updated] = await q<{ notified_at: Date }>('UPDATE alert SET notified_at = now(), silenced_by = NULL WHERE id = ? RETURNING notified_at', [row.id]);
    row.notified_at = updated.notified_at;
    row.silenced_by = null;
    return ids;
  }

  private async enqueueAll(ids: string[]): Promise<void> {
    for (const id of ids) {
      // The sweep re-queues what could not be queued here.
      await this.deps.enqueue(id).catch((error) => this.deps.logger.warn({ err: error, notificationId: id }, 'could not queue an alert notification'));
    }
  }
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
