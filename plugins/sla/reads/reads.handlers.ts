import type { OperationHandler, OperationRequest } from '../../../core/plugin-api/index.ts';
import { tenantOf } from '../sla-deps.ts';
import type { SlaReads } from './sla-reads.ts';

type Req = OperationRequest<unknown, Record<string, string>, Record<string, unknown>>;

/** REST faces of the SLA reads (the SDK's way to what GraphQL offers). */
export function readHandlers(reads: SlaReads): Record<string, OperationHandler> {
  return {
    listSlaServices: (req: Req) => reads.listServices(tenantOf(req), req.query),
    getSlaService: (req: Req) => reads.getService(tenantOf(req), req.params.id),
    getSlaSnapshotTrend: async (req: Req) => ({ data: await reads.snapshotTrend(tenantOf(req), req.params.id, Number(req.query.hoursBack ?? 1)) }),
    listSlaServiceIncidents: (req: Req) => reads.incidents(tenantOf(req), req.params.id, req.query),
    listSlaGroups: async (req: Req) => ({ data: await reads.groups(tenantOf(req)) }),
    getSlaTrendData: async (req: Req) => ({ data: await reads.trendData(tenantOf(req), req.query) }),
    getSlaDashboardStats: (req: Req) => reads.dashboardStats(tenantOf(req)),
    listSlaNodes: async (req: Req) => ({ data: await reads.nodes(tenantOf(req)) }),
  };
}
