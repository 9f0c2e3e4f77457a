import { type DatabaseService, defineList, type OperationRequest, type OperationResponse } from '../../../core/plugin-api/index.ts';
import { acceptedRange, type PointStore, type TelemetryBatch } from './point-store.ts';

interface IngestBody {
  agent_id?: string;
  points?: { service_id: string; metric_name: string; value: number; timestamp?: string; labels?: Record<string, string> }[];
  events?: { service_id: string; event_type: string; message?: string; timestamp?: string; labels?: Record<string, string> }[];
}

export interface IngestDeps {
  database: DatabaseService;
  store: PointStore;
  retentionDays: number;
  clock: () => Date;
  /** Called after a batch committed: the watchdog scores it soon. */
  onStored: () => void;
}

/** The request's items as a batch; items outside the accepted time range are counted, not stored. */
export function batchFromRequest(body: IngestBody, now: number, retentionDays: number): TelemetryBatch {
  const range = acceptedRange(now, retentionDays);
  const batch: TelemetryBatch = { source: 'ingest', agentId: body.agent_id, points: [], events: [], rejected: 0 };
  for (const p of body.points ?? []) {
    const ts = p.timestamp ? Date.parse(p.timestamp) : now;
    if (!(ts >= range.min && ts <= range.max) || !Number.isFinite(p.value)) batch.rejected++;
    else batch.points.push({ service_id: p.service_id, metric_name: p.metric_name, value: p.value, ts, labels: p.labels });
  }
  for (const e of body.events ?? []) {
    const ts = e.timestamp ? Date.parse(e.timestamp) : now;
    if (!(ts >= range.min && ts <= range.max)) batch.rejected++;
    else batch.events.push({ service_id: e.service_id, event_type: e.event_type, message: e.message, ts, labels: e.labels });
  }
  return batch;
}

/**
 * POST /api/v1/events/ingest: the Idempotency-Key (required by the contract) is kept by the core,
 * and by the batch too, so a retry that runs again after its first node died still stores it once.
 */
export async function ingestTelemetry(deps: IngestDeps, req: OperationRequest<IngestBody> & { tenantId: string }): Promise<OperationResponse> {
  const now = deps.clock();
  const batch = batchFromRequest(req.body ?? {}, now.getTime(), deps.retentionDays);
  const key = req.headers['idempotency-key'];
  // Scoped as the core scopes keys (per caller), so two agents' equal keys stay two batches.
  if (typeof key === 'string' && key !== '') batch.idempotencyKey = `${req.principal?.kind ?? '-'}:${req.principal?.id ?? '-'} ${key}`;
  const stored = await deps.store.store(req.tenantId, batch, now);
  deps.onStored();
  return {
    status: 202,
    body: {
      status: 'accepted',
      batch_id: stored.batchId,
      accepted_points: stored.points,
      accepted_events: stored.events,
      received_at: stored.receivedAt.toISOString(),
    },
  };
}

interface BatchRow {
  id: string;
  source: 'ingest' | 'remote_write';
  agent_id: string | null;
  received_at: Date;
  points: number;
  events: number;
  rejected: number;
  first_ts: Date | null;
  last_ts: Date | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export const ingestBatchList = defineList({
  from: 'aiops_ingest_batch',
  // Not `*`: a batch keeps its points in its inbox for a day (for RCA), which a page must not carry.
  select: 'id, source, agent_id, received_at, points, events, rejected, first_ts, last_ts',
  sortable: { receivedAt: 'received_at', points: 'points', events: 'events' },
  defaultSort: 'receivedAt',
  equals: { source: 'source', agentId: 'agent_id' },
  search: ['agent_id', 'source'],
  view: (row: BatchRow) => ({
    id: row.id,
    source: row.source,
    agentId: row.agent_id,
    receivedAt: new Date(row.received_at).toISOString(),
    points: row.points,
    events: row.events,
    rejected: row.rejected,
    firstTimestamp: iso(row.first_ts),
    lastTimestamp: iso(row.last_ts),
  }),
});

/** GET /api/v1/events/ingest-batches (newest first unless asked otherwise). */
export async function listIngestBatches(deps: Pick<IngestDeps, 'database'>, req: OperationRequest & { tenantId: string }) {
  const query = { sortOrder: 'desc', ...req.query };
  return ingestBatchList.page(deps.database.forTenant(req.tenantId), query);
}
