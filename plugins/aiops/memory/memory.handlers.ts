import { randomBytes } from 'node:crypto';
import type { DatabaseService, EventsService, OperationRequest } from '../../../core/plugin-api/index.ts';
import { findSimilar } from './resolution-search.ts';

export interface MemoryDeps {
  database: DatabaseService;
  events: EventsService;
  /** Whether pg_trgm is installed (trigram similarity of names). */
  trigrams: () => boolean;
}

type TenantRequest<Body = unknown> = OperationRequest<Body, Record<string, string>, Record<string, any>> & { tenantId: string };

interface ResolutionBody {
  incident_id: string;
  service_id: string;
  metric_name?: string;
  resolution: string;
  resolved_by?: string;
  time_to_recovery_minutes?: number;
  tags?: string[];
}

/**
 * POST /api/v1/resolutions/webhook: stores the resolution with its search vector, takes the metric
 * from the incident when it names a known anomaly, marks that anomaly resolved, and publishes
 * `aiops.resolution_stored` in the same transaction.
 */
export async function submitResolution(deps: MemoryDeps, req: TenantRequest<ResolutionBody>) {
  const b = req.body;
  const id = `kb-${randomBytes(6).toString('hex')}`;
  const tags = [...new Set((b.tags ?? []).map((t) => t.trim().toLowerCase()).filter(Boolean))];
  await deps.database.forTenant(req.tenantId).transaction(async (tx) => {
    const [anomaly] = await tx.query<{ metric_name: string }>('SELECT metric_name FROM aiops_anomaly WHERE anomaly_id = ?', [b.incident_id]);
    const metric = b.metric_name ?? anomaly?.metric_name ?? null;
    await tx.query(
      `INSERT INTO aiops_resolution (knowledge_base_id, tenant_id, incident_id, service_id, metric_name, resolution, resolved_by, time_to_recovery_minutes, tags, search)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::text[],
               setweight(to_tsvector('english', ? || ' ' || coalesce(?, '')), 'A') ||
               setweight(to_tsvector('english', array_to_string(?::text[], ' ')), 'A') ||
               setweight(to_tsvector('english', ?), 'B'))`,
      [
        id,
        req.tenantId,
        b.incident_id,
        b.service_id,
        metric,
        b.resolution,
        b.resolved_by ?? null,
        b.time_to_recovery_minutes ?? null,
        tags,
        b.service_id.replace(/[-_.]/g, ' '),
        metric?.replace(/[-_.]/g, ' ') ?? null,
        tags,
        b.resolution,
      ],
    );
    if (anomaly) await tx.query('UPDATE aiops_anomaly SET resolved = true, resolved_at = coalesce(resolved_at, now()) WHERE anomaly_id = ?', [b.incident_id]);
    await deps.events.publish(tx, {
      topic: 'aiops.resolution_stored',
      tenantId: req.tenantId,
      payload: { knowledge_base_id: id, incident_id: b.incident_id, service_id: b.service_id, tags },
    });
  });
  return { status: 'ok', stored: true, knowledge_base_id: id };
}

export async function findSimilarResolutions(deps: MemoryDeps, req: TenantRequest) {
  const q = req.query as { service_id?: string; metric_name?: string; q?: string; tags?: string; limit?: number };
  const tags = (q.tags ?? '')
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  const resolutions = await findSimilar(
    deps.database.forTenant(req.tenantId).query,
    deps.trigrams(),
    { serviceId: q.service_id, metricName: q.metric_name, text: q.q, tags },
    q.limit ?? 5,
  );
  return { resolutions };
}
