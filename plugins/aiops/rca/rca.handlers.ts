import type { DatabaseService, OperationRequest, WorkersService } from '../../../core/plugin-api/index.ts';
import { aheadMs, recentWindowMs } from '../ingest/point-store.ts';
import type { CorrelateInput, CorrelationEdge } from './correlate.worker.ts';

export interface RcaDeps {
  database: DatabaseService;
  workers: WorkersService;
  clock: () => Date;
}

type TenantRequest = OperationRequest<unknown, Record<string, string>, Record<string, any>> & { tenantId: string };

interface Edge {
  to: string;
  score: number;
  lag: number;
  direction: 'upstream' | 'downstream';
  evidence: 'dependency' | 'cross_correlation' | 'change_event';
}

const minutes = recentWindowMs / 60_000;
const maxServices = 100;

/**
 * Per service, one per-minute signal over the last 24 hours: the strongest anomaly score of the
 * minute plus the mean absolute z of its metrics' minute averages (each metric standardised on
 * its own), so services correlate on when they misbehave, not on their units.
 */
async function serviceSignals(deps: RcaDeps, tenantId: string, now: Date): Promise<Map<string, Float64Array>> {
  const db = deps.database.forTenant(tenantId);
  const start = new Date(Math.floor(now.getTime() / 60_000) * 60_000 - (minutes - 1) * 60_000);
  const signals = new Map<string, Float64Array>();
  const signal = (service: string) => {
    let s = signals.get(service);
    if (!s) {
      s = new Float64Array(minutes);
      signals.set(service, s);
    }
    return s;
  };
  const anomalies = await db.query<{ service_id: string; m: number; score: number }>(
    `SELECT service_id, floor(extract(epoch FROM detected_at - ?::timestamptz) / 60)::int AS m, max(anomaly_score) AS score
       FROM aiops_anomaly WHERE detected_at >= ? GROUP BY 1, 2`,
    [start.toISOString(), start.toISOString()],
  );
  for (const a of anomalies) if (a.m >= 0 && a.m < minutes) signal(a.service_id)[a.m] += Number(a.score);
  // The metric points come from the inboxes of the batches received since (a point may lie up to
  // `aheadMs` after its batch's arrival): found by the batch index, where aiops_point has none.
  const points = await db.query<{ service_id: string; metric_name: string; m: number; v: number }>(
    `SELECT u.s AS service_id, u.n AS metric_name, floor(extract(epoch FROM u.t - ?::timestamptz) / 60)::int AS m, avg(u.v) AS v
       FROM aiops_ingest_batch b, unnest(b.inbox_services, b.inbox_metrics, b.inbox_times, b.inbox_values) AS u(s, n, t, v)
      WHERE b.received_at >= ? AND b.last_ts >= ? AND b.inbox_services IS NOT NULL AND u.t >= ?
      GROUP BY 1, 2, 3 ORDER BY 1, 2`,
    [start.toISOString(), new Date(start.getTime() - aheadMs).toISOString(), start.toISOString(), start.toISOString()],
  );
  const byMetric = new Map<string, { service: string; m: number[]; v: number[] }>();
  for (const p of points) {
    const k = `${p.service_id}\u0000${p.metric_name}`;
    let e = byMetric.get(k);
    if (!e) {
      e = { service: p.service_id, m: [], v: [] };
      byMetric.set(k, e);
    }
    e.m.push(p.m);
    e.v.push(Number(p.v));
  }
  for (const e of byMetric.values()) {
    const mean = e.v.reduce((a, b) => a + b, 0) / e.v.length;
    const sd = Math.sqrt(e.v.reduce((a, b) => a + (b - mean) ** 2, 0) / e.v.length) || 1;
    const s = signal(e.service);
    e.m.forEach((m, i) => {
      if (m >= 0 && m < minutes) s[m] += Math.abs(e.v[i] - mean) / sd / 4;
    });
  }
  return signals;
}

export async function getRcaCorrelations(deps: RcaDeps, req: TenantRequest) {
  const origin = String(req.query.service_id);
  const depth = Number(req.query.depth ?? 3);
  const now = deps.clock();
  const db = deps.database.forTenant(req.tenantId);
  const graph = new Map<string, Edge[]>();
  const add = (from: string, edge: Edge) => {
    const list = graph.get(from) ?? [];
    list.push(edge);
    graph.set(from, list);
  };

  // (a) Declared dependencies: a service's dependencies are upstream of it.
  const declared = await db.query<{ service_id: string; depends_on: string }>('SELECT service_id, depends_on FROM aiops_dependency');
  for (const d of declared) {
    add(d.service_id, { to: d.depends_on, score: 0.9, lag: 0, direction: 'upstream', evidence: 'dependency' });
    add(d.depends_on, { to: d.service_id, score: 0.9, lag: 0, direction: 'downstream', evidence: 'dependency' });
  }

  // (b) Lagged cross-correlation of the services' signals, on the worker pool.
  const signals = await serviceSignals(deps, req.tenantId, now);
  const services = [...signals.keys()].sort((a, b) => (a === origin ? -1 : b === origin ? 1 : a.localeCompare(b))).slice(0, maxServices);
  if (services.length > 1) {
    const edges = await deps.workers.run<CorrelateInput, CorrelationEdge[]>('aiops.correlate', {
      services,
      series: services.map((s) => signals.get(s) as Float64Array),
      maxLag: 15,
      minScore: 0.5,
    });
    for (const e of edges) {
      add(e.a, { to: e.b, score: e.score, lag: e.lag, direction: e.lag < 0 ? 'upstream' : 'downstream', evidence: 'cross_correlation' });
      add(e.b, { to: e.a, score: e.score, lag: -e.lag, direction: -e.lag < 0 ? 'upstream' : 'downstream', evidence: 'cross_correlation' });
    }
  }

  // (c) Changes on other services in the 30 minutes before the origin's latest anomaly.
  const [latest] = await db.query<{ at: Date | null }>('SELECT max(detected_at) AS at FROM aiops_anomaly WHERE service_id = ?', [origin]);
  if (latest?.at) {
    const at = new Date(latest.at).getTime();
    const changes = await db.query<{ service_id: string; at: Date }>(
      `SELECT service_id, max(at) AS at FROM aiops_change_event WHERE service_id <> ? AND at BETWEEN ?::timestamptz - interval '30 minutes' AND ? GROUP BY service_id`,
      [origin, new Date(at).toISOString(), new Date(at).toISOString()],
    );
    for (const c of changes) {
      const before = (at - new Date(c.at).getTime()) / 60_000;
      add(origin, { to: c.service_id, score: 0.6 + 0.4 * (1 - before / 30), lag: -Math.round(before), direction: 'upstream', evidence: 'change_event' });
    }
  }

  // Depth-limited traversal: a path's score is the product of its edges'; the best path wins.
  const best = new Map<string, { score: number; lag: number; direction: 'upstream' | 'downstream'; depth: number; evidence: Set<string> }>();
  let frontier = [{ service: origin, score: 1, lag: 0, direction: null as 'upstream' | 'downstream' | null }];
  for (let level = 1; level <= depth && frontier.length > 0; level++) {
    const next: typeof frontier = [];
    for (const node of frontier) {
      for (const edge of graph.get(node.service) ?? []) {
        if (edge.to === origin) continue;
        // Beyond the first hop, keep going the same way (upstream of upstream, downstream of downstream).
        if (node.direction && edge.direction !== node.direction) continue;
        const score = node.score * Math.min(1, edge.score);
        const seen = best.get(edge.to);
        if (seen && seen.depth === level) seen.evidence.add(edge.evidence);
        if (!seen || score > seen.score + 1e-12) {
          best.set(edge.to, {
            score,
            lag: node.lag + edge.lag,
            direction: edge.direction,
            depth: seen?.depth ?? level,
            evidence: new Set([...(seen?.evidence ?? []), edge.evidence]),
          });
          next.push({ service: edge.to, score, lag: node.lag + edge.lag, direction: edge.direction });
        }
      }
    }
    frontier = next;
  }
  const correlations = [...best.entries()]
    .map(([service, b]) => ({
      related_service: service,
      correlation_score: Math.round(b.score * 1000) / 1000,
      lag_minutes: b.lag,
      direction: b.direction,
      depth: b.depth,
      evidence: [...b.evidence].sort() as ('dependency' | 'cross_correlation' | 'change_event')[],
    }))
    .sort((a, b) => b.correlation_score - a.correlation_score || a.related_service.localeCompare(b.related_service));
  return { service_id: origin, correlations, blast_radius: correlations.filter((c) => c.direction === 'downstream').length };
}
