import { randomBytes } from 'node:crypto';
import type { AlertsService, DatabaseService, EventsService, RaiseAlert, ResolveAlert, Tx, WorkersService } from '../../../core/plugin-api/index.ts';
import { type DetectorState, stateFromJson, stateToJson } from './detectors/index.ts';
import { isRobustSeasonalState } from './detectors/robust-seasonal.ts';
import { packChunk, type ScoreInput, type ScoreOutput, scoringChunks, stateSize } from './score.worker.ts';

interface SeriesWork {
  key: string;
  state: Float64Array | null;
  ts: number[];
  values: number[];
}

export interface WatchdogDeps {
  database: DatabaseService;
  events: EventsService;
  alerts: AlertsService;
  workers: WorkersService;
  /** Anomaly score (0–1) from which a point is an anomaly. */
  threshold: number;
  /** Batches one round takes at most. */
  maxBatches?: number;
}

/** What the status endpoint shows of the watchdog on this node. */
export const watchdogCounters = { lastRun: null as Date | null, pointsScored: 0, rounds: 0 };

/**
 * `anom-`, the creation time in milliseconds (12 hex digits) and 48 random bits. The id is the
 * table's primary key across workspaces: the 32 random bits it had met a duplicate (a 500) about
 * once in five Alertmanager bench runs of ~40,000 anomalies, as the birthday bound predicts. The
 * time first keeps the key's index appending at its right edge instead of writing all over it.
 */
export function newAnomalyId(now = Date.now()): string {
  return `anom-${now.toString(16).padStart(12, '0')}${randomBytes(6).toString('hex')}`;
}

const key = (tenant: string, service: string, metric: string) => JSON.stringify([tenant, service, metric]);

/** Points of a series scored without a new anomaly after which its open anomalies resolve. */
const calmPointsToResolve = 10;

interface InboxRow {
  id: string;
  tenant_id: string;
  first_ts: Date | null;
  last_ts: Date | null;
  inbox_services: string[] | null;
  inbox_metrics: string[] | null;
  inbox_times: Date[] | null;
  inbox_values: number[] | null;
}

interface Series {
  tenant: string;
  service: string;
  metric: string;
  ts: number[];
  values: number[];
}

/**
 * The round's points per series, each series in time order and the series in key order (so two
 * nodes' rounds write series states in the same order and cannot deadlock on them).
 */
function seriesOf(batches: InboxRow[]): Map<string, Series> {
  const points = new Map<string, Series>();
  for (const b of batches) {
    const services = b.inbox_services ?? [];
    for (let i = 0; i < services.length; i++) {
      const service = services[i];
      const metric = (b.inbox_metrics as string[])[i];
      const k = key(b.tenant_id, service, metric);
      let g = points.get(k);
      if (!g) {
        g = { tenant: b.tenant_id, service, metric, ts: [], values: [] };
        points.set(k, g);
      }
      g.ts.push((b.inbox_times as Date[])[i].getTime());
      g.values.push(Number((b.inbox_values as number[])[i]));
    }
  }
  const groups = new Map<string, Series>();
  for (const k of [...points.keys()].sort()) {
    const g = points.get(k) as Series;
    groups.set(k, inTimeOrder(g));
  }
  return groups;
}

/**
 * A node of the version before the inbox, still running in a rolling upgrade, stores batches
 * without one: their metric points are read from aiops_point instead (by batch, within the
 * batch's time range so only its days' partitions are scanned; there is no index by batch).
 */
async function fillMissingInboxes(tx: Tx, batches: InboxRow[]): Promise<void> {
  const bare = batches.filter((b) => b.inbox_services === null && b.first_ts !== null && b.last_ts !== null);
  if (bare.length === 0) return;
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const b of bare) {
    from = Math.min(from, new Date(b.first_ts as Date).getTime());
    to = Math.max(to, new Date(b.last_ts as Date).getTime());
  }
  const rows = await tx.query<{ batch_id: string; service_id: string; metric_name: string; ts: Date; value: number }>(
    `SELECT batch_id, service_id, metric_name, ts, value FROM aiops_point
      WHERE batch_id = ANY(?::uuid[]) AND kind = 'metric' AND ts BETWEEN ? AND ?`,
    [bare.map((b) => b.id), new Date(from).toISOString(), new Date(to).toISOString()],
  );
  const byId = new Map<string, InboxRow>();
  for (const b of bare) {
    b.inbox_services = [];
    b.inbox_metrics = [];
    b.inbox_times = [];
    b.inbox_values = [];
    byId.set(b.id, b);
  }
  for (const r of rows) {
    const b = byId.get(r.batch_id) as InboxRow;
    b.inbox_services?.push(r.service_id);
    b.inbox_metrics?.push(r.metric_name);
    b.inbox_times?.push(new Date(r.ts));
    b.inbox_values?.push(Number(r.value));
  }
}

function inTimeOrder(g: Series): Series {
  let sorted = true;
  for (let i = 1; i < g.ts.length && sorted; i++) sorted = g.ts[i - 1] <= g.ts[i];
  if (sorted) return g;
  const order = g.ts.map((_, i) => i).sort((a, b) => g.ts[a] - g.ts[b] || a - b);
  return { ...g, ts: order.map((i) => g.ts[i]), values: order.map((i) => g.values[i]) };
}

/**
 * One watchdog round, in one transaction: take unscored ingest batches (SKIP LOCKED, so nodes
 * share the queue), score their points per series on the worker pool from each series' saved
 * state, store the new states, open anomalies (one per series per round: its strongest point) with
 * an alert and an `aiops.anomaly_detected` event, and resolve anomalies of series that calmed down.
 * If anything fails, the batches stay unscored and the next round takes them again.
 */
export async function runWatchdogRound(deps: WatchdogDeps): Promise<{ batches: number; points: number; anomalies: number }> {
  return deps.database.platform.transaction(async (tx) => {
    // Each batch brings its metric points in its inbox (migration 0004), read with it.
    const batches = await tx.query<InboxRow>(
      `SELECT id, tenant_id, first_ts, last_ts, inbox_services, inbox_metrics, inbox_times, inbox_values FROM aiops_ingest_batch
        WHERE scored_at IS NULL AND points > 0 ORDER BY received_at LIMIT ? FOR UPDATE SKIP LOCKED`,
      [deps.maxBatches ?? 200],
    );
    if (batches.length === 0) return { batches: 0, points: 0, anomalies: 0 };
    await fillMissingInboxes(tx, batches);
    const ids = batches.map((b) => b.id);
    const groups = seriesOf(batches);
    const states = await loadStates(tx, [...groups.values()]);
    const inputs: SeriesWork[] = [];
    for (const [k, g] of groups) {
      const saved = states.get(k);
      // Never score backwards: points older than what the series has seen are stored, not scored.
      const from = saved ? g.ts.findIndex((t) => t > saved.lastTs) : 0;
      if (from < 0) continue;
      const state = saved && isRobustSeasonalState(saved.state) ? saved.state : null;
      inputs.push({ key: k, state, ts: g.ts.slice(from), values: g.values.slice(from) });
    }
    const chunks = await scoreOnPool(deps, inputs);
    let points = 0;
    const detected: { tenant: string; service: string; metric: string; score: number; z: number; value: number; at: number }[] = [];
    const calm: { tenant: string; service: string; metric: string }[] = [];
    const stateRows: { k: string; state: DetectorState; lastTs: number; seen: number }[] = [];
    for (const { series, output } of chunks) {
      const best = new Map<number, ScoreOutput['hits'][number]>();
      for (const hit of output.hits) {
        const seen = best.get(hit.series);
        if (!seen || hit.score > seen.score) best.set(hit.series, hit);
      }
      series.forEach((input, i) => {
        const [tenant, service, metric] = JSON.parse(input.key) as [string, string, string];
        points += input.values.length;
        stateRows.push({
          k: input.key,
          state: output.states.slice(i * stateSize, (i + 1) * stateSize),
          lastTs: input.ts[input.ts.length - 1],
          seen: input.values.length,
        });
        const hit = best.get(i);
        if (hit) detected.push({ tenant, service, metric, score: hit.score, z: hit.z, value: input.values[hit.index], at: input.ts[hit.index] });
        else if (input.values.length >= calmPointsToResolve) calm.push({ tenant, service, metric });
      });
    }
    await saveStates(tx, stateRows);
    // The inbox stays: RCA reads it for a day, then the retention job empties it.
    await tx.query('UPDATE aiops_ingest_batch SET scored_at = now() WHERE id = ANY(?::uuid[])', [ids]);
    const opened = await openAnomalies(deps, tx, detected);
    await resolveCalm(deps, tx, calm);
    watchdogCounters.lastRun = new Date();
    watchdogCounters.pointsScored += points;
    watchdogCounters.rounds++;
    return { batches: ids.length, points, anomalies: opened };
  });
}

async function scoreOnPool(deps: WatchdogDeps, inputs: SeriesWork[]): Promise<{ series: SeriesWork[]; output: ScoreOutput }[]> {
  if (inputs.length === 0) return [];
  const chunks = scoringChunks(inputs);
  return Promise.all(
    chunks.map(async (series) => ({
      series,
      output: await deps.workers.run<ScoreInput, ScoreOutput>('aiops.score', packChunk(series, deps.threshold), { transfer: true }),
    })),
  );
}

async function loadStates(tx: Tx, groups: { tenant: string; service: string; metric: string }[]) {
  const found = new Map<string, { state: DetectorState; lastTs: number }>();
  if (groups.length === 0) return found;
  const rows = await tx.query<{ tenant_id: string; service_id: string; metric_name: string; state: unknown; last_ts: Date }>(
    `SELECT s.tenant_id, s.service_id, s.metric_name, s.state, s.last_ts FROM aiops_series_state s
       JOIN unnest(?::text[], ?::text[], ?::text[]) AS k(t, s, m) ON s.tenant_id = k.t AND s.service_id = k.s AND s.metric_name = k.m`,
    [groups.map((g) => g.tenant), groups.map((g) => g.service), groups.map((g) => g.metric)],
  );
  for (const r of rows) {
    const state = stateFromJson(r.state);
    if (state) found.set(key(r.tenant_id, r.service_id, r.metric_name), { state, lastTs: new Date(r.last_ts).getTime() });
  }
  return found;
}

async function saveStates(tx: Tx, rows: { k: string; state: DetectorState; lastTs: number; seen: number }[]) {
  if (rows.length === 0) return;
  const parts = rows.map((r) => JSON.parse(r.k) as [string, string, string]);
  await tx.query(
    `INSERT INTO aiops_series_state (tenant_id, service_id, metric_name, state, last_ts, points_seen)
     SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::jsonb[], ?::timestamptz[], ?::bigint[])
     ON CONFLICT (tenant_id, service_id, metric_name) DO UPDATE
       SET state = excluded.state, last_ts = excluded.last_ts, points_seen = aiops_series_state.points_seen + excluded.points_seen`,
    [
      parts.map((p) => p[0]),
      parts.map((p) => p[1]),
      parts.map((p) => p[2]),
      rows.map((r) => JSON.stringify(stateToJson(r.state))),
      rows.map((r) => new Date(r.lastTs).toISOString()),
      rows.map((r) => r.seen),
    ],
  );
}

export function anomalyAlert(a: { tenant: string; service: string; metric: string; score: number; z: number; value: number }): RaiseAlert {
  return {
    tenantId: a.tenant,
    source: 'aiops',
    entityType: 'metric_series',
    entityId: `${a.service}/${a.metric}`,
    severity: a.score >= 0.95 ? 'critical' : 'warning',
    title: `Anomaly in ${a.metric} of ${a.service}`,
    message: `${a.metric} = ${a.value} (z = ${a.z.toFixed(2)}, anomaly score ${a.score.toFixed(3)})`,
    labels: { service_id: a.service, metric_name: a.metric },
    fingerprint: `aiops:${a.service}:${a.metric}`,
  };
}

async function openAnomalies(
  deps: WatchdogDeps,
  tx: Tx,
  detected: { tenant: string; service: string; metric: string; score: number; z: number; value: number; at: number }[],
): Promise<number> {
  if (detected.length === 0) return 0;
  const ids = detected.map(() => newAnomalyId());
  // RCA has something to work on when another service of the workspace went anomalous close by.
  const neighbours = await tx.query<{ tenant_id: string; service_id: string }>(
    `SELECT DISTINCT a.tenant_id, k.s AS service_id FROM unnest(?::text[], ?::text[], ?::timestamptz[]) AS k(t, s, at)
       JOIN aiops_anomaly a ON a.tenant_id = k.t AND a.service_id <> k.s AND a.detected_at BETWEEN k.at - interval '15 minutes' AND k.at + interval '15 minutes'`,
    [detected.map((d) => d.tenant), detected.map((d) => d.service), detected.map((d) => new Date(d.at).toISOString())],
  );
  const related = new Set(neighbours.map((n) => `${n.tenant_id}\u0000${n.service_id}`));
  const rca = detected.map((d) => related.has(`${d.tenant}\u0000${d.service}`));
  await tx.query(
    `INSERT INTO aiops_anomaly (anomaly_id, tenant_id, service_id, metric_name, anomaly_score, z_score, value, detected_at, rca_triggered, summary)
     SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::float8[], ?::float8[], ?::float8[], ?::timestamptz[], ?::boolean[], ?::text[])`,
    [
      ids,
      detected.map((d) => d.tenant),
      detected.map((d) => d.service),
      detected.map((d) => d.metric),
      detected.map((d) => d.score),
      detected.map((d) => d.z),
      detected.map((d) => d.value),
      detected.map((d) => new Date(d.at).toISOString()),
      rca,
      detected.map((d) => `${d.metric} of ${d.service} at ${d.value} (z = ${d.z.toFixed(2)})`),
    ],
  );
  await deps.alerts.raiseMany(tx, detected.map(anomalyAlert));
  await deps.events.publishMany(
    tx,
    detected.map((d, i) => ({
      topic: 'aiops.anomaly_detected',
      tenantId: d.tenant,
      payload: {
        anomaly_id: ids[i],
        service_id: d.service,
        metric_name: d.metric,
        anomaly_score: d.score,
        z_score: d.z,
        detected_at: new Date(d.at).toISOString(),
        rca_triggered: rca[i],
      },
    })),
  );
  return detected.length;
}

async function resolveCalm(deps: WatchdogDeps, tx: Tx, calm: { tenant: string; service: string; metric: string }[]) {
  if (calm.length === 0) return;
  const resolved = await tx.query<{ tenant_id: string; service_id: string; metric_name: string }>(
    `UPDATE aiops_anomaly a SET resolved = true, resolved_at = now()
       FROM unnest(?::text[], ?::text[], ?::text[]) AS k(t, s, m)
      WHERE a.tenant_id = k.t AND a.service_id = k.s AND a.metric_name = k.m AND NOT a.resolved AND a.source = 'watchdog'
      RETURNING a.tenant_id, a.service_id, a.metric_name`,
    [calm.map((c) => c.tenant), calm.map((c) => c.service), calm.map((c) => c.metric)],
  );
  const seen = new Set<string>();
  const toResolve: ResolveAlert[] = [];
  for (const r of resolved) {
    const fingerprint = `aiops:${r.service_id}:${r.metric_name}`;
    if (seen.has(`${r.tenant_id}:${fingerprint}`)) continue;
    seen.add(`${r.tenant_id}:${fingerprint}`);
    toResolve.push({ tenantId: r.tenant_id, fingerprint });
  }
  if (toResolve.length) await deps.alerts.resolveMany(tx, toResolve);
}
