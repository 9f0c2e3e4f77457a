import { AppError, type DatabaseService, type OperationRequest } from '../../../core/plugin-api/index.ts';
import { findSimilar, type SuggestedResolution } from '../memory/resolution-search.ts';

export interface AnomalyDeps {
  database: DatabaseService;
  trigrams: () => boolean;
}

type TenantRequest = OperationRequest<unknown, Record<string, string>, Record<string, any>> & { tenantId: string };

interface AnomalyRow {
  anomaly_id: string;
  service_id: string;
  metric_name: string;
  anomaly_score: number;
  z_score: number;
  detected_at: Date;
  rca_triggered: boolean;
  resolved: boolean;
  source: 'watchdog' | 'alertmanager';
  summary: string;
  labels: Record<string, string>;
}

const columns = 'anomaly_id, service_id, metric_name, anomaly_score, z_score, detected_at, rca_triggered, resolved, source, summary, labels';

/** The opaque page token: the offset of the next page, base64 JSON (as the seed's example). */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 && offset <= 10_000_000) return offset;
  } catch {
    // fall through to the same answer as a token of the wrong shape
  }
  throw new AppError('validation_failed', 'page_token is not a token this list issued', {
    details: [{ path: '/query/page_token', message: 'invalid page token' }],
  });
}

/** Suggestions for each distinct (service, metric) of the page, asked once each. */
async function withSuggestions(deps: AnomalyDeps, tenantId: string, rows: AnomalyRow[], perAnomaly: number) {
  const db = deps.database.forTenant(tenantId);
  const cache = new Map<string, Promise<SuggestedResolution[]>>();
  const suggestionsFor = (r: AnomalyRow) => {
    const k = JSON.stringify([r.service_id, r.metric_name]);
    let found = cache.get(k);
    if (!found) {
      const text = [r.summary, ...Object.values(r.labels ?? {})].join(' ');
      found = findSimilar(
        db.query,
        deps.trigrams(),
        { serviceId: r.service_id, metricName: r.metric_name, text, tags: Object.values(r.labels ?? {}) },
        perAnomaly,
      );
      cache.set(k, found);
    }
    return found;
  };
  return Promise.all(
    rows.map(async (r) => ({
      anomaly_id: r.anomaly_id,
      service_id: r.service_id,
      metric_name: r.metric_name,
      anomaly_score: Number(r.anomaly_score),
      z_score: Number(r.z_score),
      detected_at: new Date(r.detected_at).toISOString(),
      rca_triggered: r.rca_triggered,
      resolved: r.resolved,
      source: r.source,
      suggested_resolutions: await suggestionsFor(r),
    })),
  );
}

export async function listAnomalies(deps: AnomalyDeps, req: TenantRequest) {
  const q = req.query as { service_id?: string; since?: string; until?: string; min_score?: number; resolved?: boolean; limit?: number; page_token?: string };
  const limit = q.limit ?? 50;
  const offset = decodePageToken(q.page_token);
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.service_id !== undefined) {
    where.push('service_id = ?');
    params.push(q.service_id);
  }
  if (q.since !== undefined) {
    where.push('detected_at >= ?');
    params.push(q.since);
  }
  if (q.until !== undefined) {
    where.push('detected_at <= ?');
    params.push(q.until);
  }
  if (q.min_score !== undefined) {
    where.push('anomaly_score >= ?');
    params.push(q.min_score);
  }
  if (q.resolved !== undefined) {
    where.push('resolved = ?');
    params.push(q.resolved);
  }
  const condition = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const db = deps.database.forTenant(req.tenantId);
  const rows = await db.query<AnomalyRow & { total: string }>(
    `SELECT ${columns}, count(*) OVER () AS total FROM aiops_anomaly ${condition} ORDER BY detected_at DESC, anomaly_id LIMIT ? OFFSET ?`,
    [...params, limit, offset],
  );
  let total = rows.length ? Number(rows[0].total) : 0;
  if (rows.length === 0 && offset > 0) {
    const [count] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM aiops_anomaly ${condition}`, params);
    total = Number(count.n);
  }
  const anomalies = await withSuggestions(deps, req.tenantId, rows, 3);
  return { anomalies, total, page_token: offset + rows.length < total ? encodePageToken(offset + rows.length) : null };
}

export async function getAnomaly(deps: AnomalyDeps, req: TenantRequest) {
  const rows = await deps.database
    .forTenant(req.tenantId)
    .query<AnomalyRow>(`SELECT ${columns} FROM aiops_anomaly WHERE anomaly_id = ?`, [req.params.anomaly_id]);
  if (rows.length === 0) throw new AppError('not_found', `No anomaly ${req.params.anomaly_id} in this workspace`);
  const [anomaly] = await withSuggestions(deps, req.tenantId, rows, 5);
  return anomaly;
}
