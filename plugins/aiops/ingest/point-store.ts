import { randomUUID } from 'node:crypto';
import type { DatabaseService, EventsService, Tx } from '../../../core/plugin-api/index.ts';
import type { PointPartitions } from './point-partitions.ts';

export interface TelemetryPoint {
  service_id: string;
  metric_name: string;
  value: number;
  /** Epoch milliseconds. */
  ts: number;
  labels?: Record<string, string>;
}

export interface TelemetryEvent {
  service_id: string;
  event_type: string;
  message?: string;
  ts: number;
  labels?: Record<string, string>;
}

export interface TelemetryBatch {
  source: 'ingest' | 'remote_write';
  agentId?: string;
  points: TelemetryPoint[];
  events: TelemetryEvent[];
  /** Items refused before storing (out of the accepted time range, not finite). */
  rejected: number;
  /** The caller and Idempotency-Key it came with: a batch already stored under it is answered, not stored again. */
  idempotencyKey?: string;
}

export interface StoredBatch {
  batchId: string;
  receivedAt: Date;
  points: number;
  events: number;
}

/** Event types that change a service: RCA looks for them shortly before an anomaly. */
export const changeEventTypes = new Set(['deployment', 'container_restart', 'image_update', 'config_change', 'rollback']);

/** How far ahead of the receiving clock a point may lie (clock skew of agents). */
export const aheadMs = 3_600_000;

/**
 * How long RCA looks back. A batch's inbox (its metric points) stays this long, plus `aheadMs`,
 * after the batch was received: RCA reads the workspace's recent points from there.
 */
export const recentWindowMs = 24 * 3_600_000;

/** Accepted time range of a point: retention back, `aheadMs` ahead. */
export function acceptedRange(now: number, retentionDays: number): { min: number; max: number } {
  return { min: now - retentionDays * 86_400_000, max: now + aheadMs };
}

/**
 * One statement: the batch row (a retried Idempotency-Key finds its batch and stores nothing), its
 * points, and its metric points (the first of the columns) once more in the batch row, its inbox
 * (migrations 0004, 0007: the watchdog scores from it, RCA reads it for a day, and aiops_point
 * needs no index): slices of the same parameters, so they are sent once. Times
 * travel as epoch milliseconds and kinds follow from the position: cheaper to write and to read
 * than timestamps and words, 1,000 of each per batch. Prepared: planning it cost a batch about as
 * much as writing a tenth of its points.
 */
const storeBatchSql = `WITH a AS (SELECT ?::text[] AS s, ?::text[] AS m, ?::float8[] AS t, ?::float8[] AS v, ?::jsonb[] AS l, ?::int AS np),
     b AS (
       INSERT INTO aiops_ingest_batch (id, tenant_id, source, agent_id, received_at, points, events, rejected, first_ts, last_ts, idempotency_key,
                                       inbox_services, inbox_metrics, inbox_times, inbox_values)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, a.s[1:a.np], a.m[1:a.np],
              ARRAY(SELECT to_timestamp(x.t / 1000) FROM unnest(a.t[1:a.np]) WITH ORDINALITY AS x(t, n) ORDER BY x.n), a.v[1:a.np]
         FROM a
       ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id),
     p AS (
       INSERT INTO aiops_point (tenant_id, batch_id, service_id, metric_name, ts, value, kind, labels)
       SELECT ?::text, b.id, u.s, u.m, to_timestamp(u.t / 1000), u.v, CASE WHEN u.n <= a.np THEN 'metric' ELSE 'event' END, u.l
         FROM b, a, unnest(a.s, a.m, a.t, a.v, a.l) WITH ORDINALITY AS u(s, m, t, v, l, n))
     SELECT id FROM b`;

/**
 * Writes one batch in one transaction: its points and events (one statement each, whatever their
 * number), its change events, its batch row and the `aiops.batch_ingested` outbox event. The answer
 * to the client waits for this commit, so an acknowledged batch is never lost.
 */
export class PointStore {
  constructor(
    private readonly database: DatabaseService,
    private readonly events: EventsService,
    private readonly partitions: PointPartitions,
  ) {}

  async store(tenantId: string, batch: TelemetryBatch, now = new Date()): Promise<StoredBatch> {
    const times = [...batch.points.map((p) => p.ts), ...batch.events.map((e) => e.ts)];
    await this.partitions.ensureFor(times);
    let batchId: string = randomUUID();
    let stored = { receivedAt: now, points: batch.points.length, events: batch.events.length };
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const ts of times) {
      if (ts < first) first = ts;
      if (ts > last) last = ts;
    }
    const rows = pointColumns(batch);
    await this.database.forTenant(tenantId).transaction(async (tx) => {
      const inserted = await tx.statement<{ id: string }>(storeBatchSql)([
        rows.services,
        rows.metrics,
        rows.times,
        rows.values,
        rows.labels,
        batch.points.length,
        batchId,
        tenantId,
        batch.source,
        batch.agentId ?? null,
        now.toISOString(),
        batch.points.length,
        batch.events.length,
        batch.rejected,
        times.length ? new Date(first).toISOString() : null,
        times.length ? new Date(last).toISOString() : null,
        batch.idempotencyKey ?? null,
        tenantId,
      ]);
      if (inserted.length === 0) {
        const [earlier] = await tx.query<{ id: string; received_at: Date; points: number; events: number }>(
          'SELECT id, received_at, points, events FROM aiops_ingest_batch WHERE idempotency_key = ?',
          [batch.idempotencyKey],
        );
        batchId = earlier.id;
        stored = { receivedAt: new Date(earlier.received_at), points: earlier.points, events: earlier.events };
        return;
      }
      await insertEventRows(tx, tenantId, batch);
      await this.events.publish(tx, {
        topic: 'aiops.batch_ingested',
        tenantId,
        payload: { batch_id: batchId, source: batch.source, agent_id: batch.agentId ?? null, points: batch.points.length, events: batch.events.length },
      });
    });
    return { batchId, ...stored };
  }
}

/**
 * The batch's points and events as the columns of aiops_point, points first (their kind follows
 * from the position). Labels are sent only when an item has some: a batch of bare points sends no
 * column of nulls.
 */
function pointColumns(batch: TelemetryBatch) {
  const n = batch.points.length + batch.events.length;
  const services: string[] = new Array(n);
  const metrics: string[] = new Array(n);
  const times: number[] = new Array(n);
  const values: (number | null)[] = new Array(n);
  let labels: (string | null)[] | null = null;
  const label = (i: number, json: string) => {
    labels ??= new Array(n).fill(null);
    labels[i] = json;
  };
  let i = 0;
  for (const p of batch.points) {
    services[i] = p.service_id;
    metrics[i] = p.metric_name;
    times[i] = p.ts;
    values[i] = p.value;
    if (p.labels && Object.keys(p.labels).length) label(i, JSON.stringify(p.labels));
    i++;
  }
  for (const e of batch.events) {
    services[i] = e.service_id;
    metrics[i] = e.event_type;
    times[i] = e.ts;
    values[i] = null;
    label(i, JSON.stringify({ ...e.labels, ...(e.message ? { message: e.message } : {}) }));
    i++;
  }
  return { services, metrics, times, values, labels };
}

/** What the batch's events declare besides their points: dependencies and change events (RCA's inputs). */
async function insertEventRows(tx: Tx, tenantId: string, batch: TelemetryBatch): Promise<void> {
  const changes = batch.events.filter((e) => changeEventTypes.has(e.event_type));
  // Agents declare dependencies as events: `dependency` with label depends_on (RCA's known edges).
  const edges = batch.events.filter((e) => e.event_type === 'dependency' && e.labels?.depends_on);
  if (edges.length > 0) {
    await tx.query(
      `INSERT INTO aiops_dependency (tenant_id, service_id, depends_on) SELECT ?, u.s, u.d FROM unnest(?::text[], ?::text[]) AS u(s, d) ON CONFLICT DO NOTHING`,
      [tenantId, edges.map((e) => e.service_id), edges.map((e) => e.labels?.depends_on as string)],
    );
  }
  if (changes.length > 0) {
    await tx.query(
      `INSERT INTO aiops_change_event (id, tenant_id, service_id, kind, summary, at)
       SELECT gen_random_uuid(), ?, u.s, u.k, u.m, u.t FROM unnest(?::text[], ?::text[], ?::text[], ?::timestamptz[]) AS u(s, k, m, t)`,
      [
        tenantId,
        changes.map((c) => c.service_id),
        changes.map((c) => c.event_type),
        changes.map((c) => c.message ?? ''),
        changes.map((c) => new Date(c.ts).toISOString()),
      ],
    );
  }
}
