import { uncompress } from 'snappyjs';
import { AppError, type OperationRequest, type OperationResponse } from '../../../core/plugin-api/index.ts';
import { acceptedRange, type PointStore, type TelemetryBatch } from '../ingest/point-store.ts';
import { decodeWriteRequest, type RemoteSeries } from './write-request.ts';

export interface RemoteWriteDeps {
  store: PointStore;
  retentionDays: number;
  clock: () => Date;
  onStored: () => void;
}

/** Largest decompressed WriteRequest accepted (Prometheus sends ~2,000 samples a request by default). */
export const maxDecodedBytes = 64 * 1024 * 1024;

/**
 * The service a series belongs to: an explicit `service_id` or `service` label, else the scrape
 * `job`, else the `instance`. The metric is `__name__`; other labels are kept with the point.
 */
// PostgreSQL text and jsonb hold no NUL: a protobuf string may.
const clean = (text: string) => (text.includes('\u0000') ? text.replaceAll('\u0000', '') : text);

export function pointsOf(series: RemoteSeries[], now: number, retentionDays: number): TelemetryBatch {
  const range = acceptedRange(now, retentionDays);
  const batch: TelemetryBatch = { source: 'remote_write', points: [], events: [], rejected: 0 };
  for (const s of series) {
    const cleaned: Record<string, string> = {};
    for (const [name, value] of Object.entries(s.labels)) cleaned[clean(name)] = clean(value);
    const { __name__: metric, ...labels } = cleaned;
    const service = labels.service_id ?? labels.service ?? labels.job ?? labels.instance;
    for (const sample of s.samples) {
      // Prometheus marks a series gone with a "stale NaN"; neither it nor a value out of range is a point.
      if (!metric || !service || !Number.isFinite(sample.value) || sample.timestampMs < range.min || sample.timestampMs > range.max) {
        batch.rejected++;
        continue;
      }
      batch.points.push({ service_id: service.slice(0, 200), metric_name: metric.slice(0, 200), value: sample.value, ts: sample.timestampMs, labels });
    }
  }
  return batch;
}

/** POST /api/v1/write: what `remote_write` in prometheus.yml sends (204 once stored, as Prometheus expects). */
export async function receiveRemoteWrite(deps: RemoteWriteDeps, req: OperationRequest<Buffer> & { tenantId: string }): Promise<OperationResponse> {
  const encoding = String(req.headers['content-encoding'] ?? 'snappy').toLowerCase();
  if (encoding !== 'snappy') throw new AppError('unsupported_media_type', 'Remote-write bodies are snappy-compressed (Content-Encoding: snappy)');
  let series: RemoteSeries[];
  try {
    const raw = uncompress(new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength), maxDecodedBytes);
    series = decodeWriteRequest(raw);
  } catch (error) {
    throw new AppError('validation_failed', `Not a snappy-compressed prometheus.WriteRequest: ${(error as Error).message}`);
  }
  const now = deps.clock();
  const batch = pointsOf(series, now.getTime(), deps.retentionDays);
  await deps.store.store(req.tenantId, batch, now);
  deps.onStored();
  return { status: 204 };
}
