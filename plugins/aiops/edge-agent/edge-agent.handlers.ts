import { createHash, randomBytes } from 'node:crypto';
import type { DatabaseService, OperationRequest } from '../../../core/plugin-api/index.ts';

export interface EdgeDeps {
  database: DatabaseService;
  clock: () => Date;
  retentionDays: number;
}

type TenantRequest = OperationRequest & { tenantId: string };

const paths = { ingest_path: '/api/v1/events/ingest', policy_path: '/api/v1/edge-agent/policy', remote_write_path: '/api/v1/write' };

/** An agent that has not sent for this long shows as stale (three default flush intervals and more). */
const staleAfterMs = 5 * 60_000;

/** What agents collect unless a workspace sets its own policy. */
export const defaultPolicy = {
  version: 1,
  collect: [
    { metric_name: 'cpu_usage_percent', interval_seconds: 15 },
    { metric_name: 'memory_usage_percent', interval_seconds: 15 },
    { metric_name: 'disk_used_percent', interval_seconds: 60 },
    { metric_name: 'network_errors_per_second', interval_seconds: 15 },
    { metric_name: 'http_request_latency_p95_ms', interval_seconds: 15 },
  ],
  batch_max_points: 1000,
  flush_interval_seconds: 10,
  idempotency: 'one Idempotency-Key per batch, reused on every retry of that batch (e.g. <agent_id>-<sequence>)',
};

export async function getEdgeEnrollment(deps: EdgeDeps, req: TenantRequest) {
  const [row] = await deps.database
    .forTenant(req.tenantId)
    .query<{ secret_prefix: string; rotated_at: Date }>('SELECT secret_prefix, rotated_at FROM aiops_edge_enrollment');
  return {
    workspace_id: req.tenantId,
    enrolled: Boolean(row),
    secret_prefix: row?.secret_prefix ?? null,
    rotated_at: row ? new Date(row.rotated_at).toISOString() : null,
    key_scope: 'ingestion',
    ...paths,
  };
}

/** A new secret replaces the old one at once; only its SHA-256 and an 8-character prefix are kept. */
export async function rotateEdgeEnrollment(deps: EdgeDeps, req: TenantRequest) {
  const secret = `edge_${randomBytes(24).toString('base64url')}`;
  const hash = createHash('sha256').update(secret).digest('hex');
  const prefix = secret.slice(0, 13);
  const now = deps.clock().toISOString();
  await deps.database.forTenant(req.tenantId).query(
    `INSERT INTO aiops_edge_enrollment (tenant_id, secret_hash, secret_prefix, created_at, rotated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (tenant_id) DO UPDATE SET secret_hash = excluded.secret_hash, secret_prefix = excluded.secret_prefix, rotated_at = excluded.rotated_at`,
    [req.tenantId, hash, prefix, now, now],
  );
  return { workspace_id: req.tenantId, enrollment_secret: secret, secret_prefix: prefix, rotated_at: now };
}

export async function getEdgeAgentPolicy(deps: EdgeDeps, req: TenantRequest) {
  const [row] = await deps.database.forTenant(req.tenantId).query<{ policy: Partial<typeof defaultPolicy> }>('SELECT policy FROM aiops_edge_enrollment');
  return { workspace_id: req.tenantId, ...defaultPolicy, ...(row?.policy ?? {}), retention_days: deps.retentionDays };
}

interface CountRow {
  agent_id: string | null;
  last_at: Date;
  batches: string;
  points: string;
  events: string;
  rejected: string;
}

export async function getEdgeIngestStatus(deps: EdgeDeps, req: TenantRequest) {
  const now = deps.clock();
  const since = new Date(now.getTime() - 24 * 3_600_000).toISOString();
  const rows = await deps.database.forTenant(req.tenantId).query<CountRow>(
    `SELECT agent_id, max(received_at) AS last_at, count(*) AS batches, sum(points) AS points, sum(events) AS events, sum(rejected) AS rejected
       FROM aiops_ingest_batch WHERE received_at >= ? GROUP BY agent_id ORDER BY agent_id NULLS LAST`,
    [since],
  );
  const counts = (r: CountRow) => ({ batches: Number(r.batches), points: Number(r.points), events: Number(r.events), rejected: Number(r.rejected) });
  const totals = { batches: 0, points: 0, events: 0, rejected: 0 };
  let last: number | null = null;
  for (const r of rows) {
    const c = counts(r);
    totals.batches += c.batches;
    totals.points += c.points;
    totals.events += c.events;
    totals.rejected += c.rejected;
    last = Math.max(last ?? 0, new Date(r.last_at).getTime());
  }
  if (last === null) {
    const [older] = await deps.database.forTenant(req.tenantId).query<{ last_at: Date | null }>('SELECT max(received_at) AS last_at FROM aiops_ingest_batch');
    if (older?.last_at) last = new Date(older.last_at).getTime();
  }
  return {
    workspace_id: req.tenantId,
    last_batch_at: last === null ? null : new Date(last).toISOString(),
    window_hours: 24,
    totals,
    agents: rows
      .filter((r) => r.agent_id !== null)
      .map((r) => ({
        agent_id: r.agent_id as string,
        last_batch_at: new Date(r.last_at).toISOString(),
        status: now.getTime() - new Date(r.last_at).getTime() > staleAfterMs ? 'stale' : 'healthy',
        counts: counts(r),
      })),
  };
}
