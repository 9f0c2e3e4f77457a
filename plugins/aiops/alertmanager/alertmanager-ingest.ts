import { createHash } from 'node:crypto';
import { AppError, type AlertsService, type DatabaseService, type EventsService, type RaiseAlert } from '../../../core/plugin-api/index.ts';

type Severity = RaiseAlert['severity'];
import { newAnomalyId } from '../watchdog/watchdog-round.ts';
import { type ReceiverAuth, receiverSecretHash, refused } from './receiver-credential.ts';

export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
  fingerprint?: string;
}

export interface AlertmanagerPayload {
  version?: string;
  groupKey?: string;
  status?: string;
  receiver?: string;
  groupLabels?: Record<string, string>;
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  externalURL?: string;
  alerts: AlertmanagerAlert[];
}

export interface AlertmanagerDeps {
  database: DatabaseService;
  events: EventsService;
  alerts: AlertsService;
  auth: ReceiverAuth;
}

/** The workspace the alerts belong to: the URL's `workspace`, the header, or a label. */
export function workspaceOf(payload: AlertmanagerPayload, query: string | undefined, header: string | undefined): string {
  const ws = query ?? header ?? payload.commonLabels?.workspace ?? payload.commonLabels?.tenant_id ?? payload.alerts[0]?.labels.workspace;
  if (!ws) throw new AppError('validation_failed', 'Name the workspace: ?workspace=<id> in the webhook URL, x-workspace-id, or a workspace label');
  return ws;
}

/** Alertmanager's own fingerprint when sent; else one from the sorted labels, as Alertmanager makes it. */
export function fingerprintOf(alert: AlertmanagerAlert): string {
  if (alert.fingerprint) return alert.fingerprint;
  const labels = Object.keys(alert.labels)
    .sort()
    .map((k) => `${k}=${alert.labels[k]}`)
    .join('\u00ff');
  return createHash('sha256').update(labels).digest('hex').slice(0, 16);
}

const severityOf = (labels: Record<string, string>): Severity => {
  const s = (labels.severity ?? '').toLowerCase();
  if (s === 'critical' || s === 'page' || s === 'error') return 'critical';
  if (s === 'info' || s === 'none') return 'info';
  return 'warning';
};
const scoreOf = { critical: 0.95, warning: 0.75, info: 0.5 } satisfies Record<Severity, number>;

export const serviceOf = (labels: Record<string, string>) => labels.service_id ?? labels.service ?? labels.job ?? labels.instance ?? 'unknown';

/**
 * Ingests one delivery in one transaction, after checking the workspace's receiver credential. Each
 * alert's (groupKey, fingerprint, status, startsAt) is claimed with ON CONFLICT DO NOTHING, so a
 * redelivery finds its alerts claimed and changes nothing.
 * Firing alerts open an anomaly (source alertmanager) and raise a core alert keyed by the
 * fingerprint; resolved ones resolve both.
 */
export async function ingestAlertmanager(deps: AlertmanagerDeps, tenantId: string, payload: AlertmanagerPayload, secret: string | undefined) {
  if (deps.auth === 'none') {
    const [tenant] = await deps.database.platform.query('SELECT 1 FROM tenant WHERE tenant_id = ?', [tenantId]);
    if (!tenant) throw new AppError('not_found', `No workspace ${tenantId}`);
  } else if (!secret) throw refused();
  const groupKey = payload.groupKey ?? JSON.stringify(payload.groupLabels ?? {});
  const alerts = payload.alerts.map((a) => ({
    ...a,
    labels: { ...payload.commonLabels, ...a.labels },
    fp: fingerprintOf(a),
    at: new Date(a.startsAt).toISOString(),
  }));
  const summaryOf = (a: (typeof alerts)[number]) =>
    [a.annotations?.summary, a.annotations?.description, payload.commonAnnotations?.summary].filter(Boolean).join(' ');
  return deps.database.forTenant(tenantId).transaction(async (tx) => {
    const ids = alerts.map((a) => (a.status === 'firing' ? newAnomalyId() : ''));
    // One statement: the credential (only the workspace's own row is visible in its transaction; an
    // input it does not admit is empty, so nothing is written), the claims, and the anomalies of the
    // firing alerts just claimed. A claim that conflicts is a redelivery: it opens nothing.
    const [outcome] = await tx.query<{ authorized: boolean; fresh: number[] }>(
      `WITH admitted AS (SELECT ?::boolean OR EXISTS (SELECT 1 FROM aiops_am_receiver WHERE secret_hash = ?) AS ok),
       input AS (
         SELECT u.* FROM unnest(?::text[], ?::text[], ?::timestamptz[], ?::text[], ?::text[], ?::text[], ?::float8[], ?::jsonb[], ?::text[])
           WITH ORDINALITY AS u(fp, status, starts_at, anomaly_id, service_id, metric_name, score, labels, summary, i)
          WHERE (SELECT ok FROM admitted)),
       claimed AS (
         INSERT INTO aiops_am_delivery (tenant_id, group_key, fingerprint, status, starts_at, anomaly_id)
         SELECT DISTINCT ON (fp, status, starts_at) ?, ?, fp, status, starts_at, anomaly_id FROM input ORDER BY fp, status, starts_at, i
         ON CONFLICT DO NOTHING RETURNING fingerprint, status, starts_at, anomaly_id),
       opened AS (
         INSERT INTO aiops_anomaly (anomaly_id, tenant_id, service_id, metric_name, anomaly_score, z_score, detected_at, source, rca_triggered, labels, summary)
         SELECT u.anomaly_id, ?, u.service_id, u.metric_name, u.score, 0, u.starts_at, 'alertmanager', true, u.labels, u.summary
           FROM claimed c JOIN input u ON u.anomaly_id = c.anomaly_id WHERE c.status = 'firing')
       SELECT (SELECT ok FROM admitted) AS authorized,
              array(SELECT min(u.i)::int - 1 FROM claimed c JOIN input u ON u.fp = c.fingerprint AND u.status = c.status AND u.starts_at = c.starts_at
                      GROUP BY c.fingerprint, c.status, c.starts_at) AS fresh`,
      [
        deps.auth === 'none',
        secret ? receiverSecretHash(secret) : '',
        alerts.map((a) => a.fp),
        alerts.map((a) => a.status),
        alerts.map((a) => a.at),
        ids,
        alerts.map((a) => serviceOf(a.labels)),
        alerts.map((a) => a.labels.alertname ?? 'alert'),
        alerts.map((a) => scoreOf[severityOf(a.labels)]),
        alerts.map((a) => JSON.stringify({ ...a.labels, am_fingerprint: a.fp })),
        alerts.map(summaryOf),
        tenantId,
        groupKey,
        tenantId,
      ],
    );
    if (!outcome.authorized) throw refused();
    const fresh = new Set(outcome.fresh);
    const firing = alerts.map((a, i) => ({ a, i })).filter(({ a, i }) => fresh.has(i) && a.status === 'firing');
    const resolved = alerts.map((a, i) => ({ a, i })).filter(({ a, i }) => fresh.has(i) && a.status === 'resolved');
    if (firing.length) {
      const raise: RaiseAlert[] = firing.map(({ a }) => ({
        tenantId,
        source: 'aiops',
        entityType: 'alertmanager_alert',
        entityId: a.fp,
        severity: severityOf(a.labels),
        title: `${a.labels.alertname ?? 'Alert'} on ${serviceOf(a.labels)}`,
        message: a.annotations?.summary ?? a.annotations?.description ?? payload.commonAnnotations?.summary,
        labels: a.labels,
        fingerprint: `am:${a.fp}`,
      }));
      await deps.alerts.raiseMany(tx, raise);
      await deps.events.publishMany(
        tx,
        firing.map(({ a, i }) => ({
          topic: 'aiops.anomaly_detected',
          tenantId,
          payload: {
            anomaly_id: ids[i],
            service_id: serviceOf(a.labels),
            metric_name: a.labels.alertname ?? 'alert',
            anomaly_score: scoreOf[severityOf(a.labels)],
            z_score: 0,
            detected_at: a.at,
            rca_triggered: true,
            source: 'alertmanager',
          },
        })),
      );
    }
    let resolvedIds: string[] = [];
    if (resolved.length) {
      const rows = await tx.query<{ anomaly_id: string; fp: string }>(
        `UPDATE aiops_anomaly SET resolved = true, resolved_at = now()
          WHERE source = 'alertmanager' AND NOT resolved AND labels->>'am_fingerprint' = ANY(?::text[])
          RETURNING anomaly_id, labels->>'am_fingerprint' AS fp`,
        [resolved.map(({ a }) => a.fp)],
      );
      resolvedIds = rows.map((r) => r.anomaly_id);
      await deps.alerts.resolveMany(
        tx,
        resolved.map(({ a }) => ({ tenantId, fingerprint: `am:${a.fp}` })),
      );
    }
    // A redelivery answers with the anomaly its first delivery opened.
    let anomalyId: string | null = firing.length ? ids[firing[0].i] : (resolvedIds[0] ?? null);
    if (!anomalyId && alerts.length) {
      const [earlier] = await tx.query<{ anomaly_id: string }>(
        `SELECT anomaly_id FROM aiops_am_delivery WHERE group_key = ? AND fingerprint = ? AND starts_at = ? AND status = 'firing'`,
        [groupKey, alerts[0].fp, alerts[0].at],
      );
      anomalyId = earlier?.anomaly_id ?? null;
    }
    return {
      status: 'ok' as const,
      rca_triggered: alerts.some((a) => a.status === 'firing'),
      anomaly_id: anomalyId,
      received: alerts.length,
      duplicates: alerts.length - fresh.size,
    };
  });
}
