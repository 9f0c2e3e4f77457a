import { randomUUID } from 'node:crypto';
import { AppError, type ContractHandlers, listEnvelope, parseListQuery } from '../../../core/plugin-api/index.ts';
import type { OperationTypes } from '../contract.types.ts';
import type { SlaDeps } from '../sla-deps.ts';
import { tenantOf } from '../sla-deps.ts';
import { iso, ms } from '../catalog/service-row.ts';

type WindowRow = {
  id: string;
  service_id: string;
  service: string;
  node_id: string;
  reason: string | null;
  started_at: Date;
  expected_end_at: Date | null;
  ended_at: Date | null;
  total?: string;
};

const windowColumns = `w.id, w.service_id, s.name AS service, s.node_id, w.reason, w.started_at, w.expected_end_at, w.ended_at`;

function toWindow(r: WindowRow, now = Date.now()) {
  return {
    id: r.id,
    serviceId: r.service_id,
    service: r.service,
    nodeId: r.node_id,
    reason: r.reason,
    startedAt: new Date(r.started_at).toISOString(),
    expectedEndAt: iso(r.expected_end_at),
    endedAt: iso(r.ended_at),
    active: r.ended_at === null,
    // Past its expected end but never stopped: it still excludes time, and says so.
    overdue: r.ended_at === null && r.expected_end_at !== null && ms(r.expected_end_at) < now,
  };
}

/**
 * Finds a service by name, and by node when given. Without a node the name must be unique in the
 * workspace: guessing between two services would pause the wrong SLA.
 */
export async function findService(deps: SlaDeps, tenantId: string, name: string, nodeId?: string): Promise<{ id: string }> {
  const rows = await deps.db
    .forTenant(tenantId)
    .query<{ id: string; node_id: string }>(`SELECT id, node_id FROM sla_service WHERE name = ? ${nodeId ? 'AND node_id = ?' : ''} LIMIT 3`, [
      name,
      ...(nodeId ? [nodeId] : []),
    ]);
  if (rows.length === 0) throw new AppError('not_found', `No service ${name}${nodeId ? ` on ${nodeId}` : ''}`);
  if (rows.length > 1) {
    throw new AppError('validation_failed', `Several services are named ${name}; add nodeId`, {
      details: [{ path: '/nodeId', message: `one of ${rows.map((r) => r.node_id).join(', ')}` }],
    });
  }
  return rows[0];
}

/** Exclusion (maintenance) windows: their time is left out of the service's SLA. */
export function exclusionWindowHandlers(
  deps: SlaDeps,
): ContractHandlers<OperationTypes, 'startExclusionWindow' | 'stopExclusionWindow' | 'listExclusionWindows'> {
  return {
    async startExclusionWindow(req) {
      const tenantId = tenantOf(req);
      const b = req.body;
      const service = await findService(deps, tenantId, b.service, b.nodeId);
      const id = randomUUID();
      const db = deps.db.forTenant(tenantId);
      const inserted = await db.query(
        `INSERT INTO sla_exclusion_window (id, tenant_id, service_id, reason, started_at, expected_end_at) VALUES (?, ?, ?, ?, now(), ?)
         ON CONFLICT (service_id) WHERE ended_at IS NULL DO NOTHING RETURNING id`,
        [id, tenantId, service.id, b.reason ?? null, b.expectedEndAt ?? null],
      );
      if (inserted.length === 0) throw new AppError('conflict', `${b.service} already has an active exclusion window; stop it first`);
      const [row] = await db.query<WindowRow>(`SELECT ${windowColumns} FROM sla_exclusion_window w JOIN sla_service s ON s.id = w.service_id WHERE w.id = ?`, [
        id,
      ]);
      return { status: 201, body: { success: true, window: toWindow(row) } };
    },

    async stopExclusionWindow(req) {
      const tenantId = tenantOf(req);
      const service = await findService(deps, tenantId, req.body.service, req.body.nodeId);
      const db = deps.db.forTenant(tenantId);
      const [stopped] = await db.query<{ id: string }>(
        'UPDATE sla_exclusion_window SET ended_at = now() WHERE service_id = ? AND ended_at IS NULL RETURNING id',
        [service.id],
      );
      if (!stopped) throw new AppError('not_found', `${req.body.service} has no active exclusion window`);
      const [row] = await db.query<WindowRow>(`SELECT ${windowColumns} FROM sla_exclusion_window w JOIN sla_service s ON s.id = w.service_id WHERE w.id = ?`, [
        stopped.id,
      ]);
      return { success: true, window: toWindow(row) };
    },

    async listExclusionWindows(req) {
      const tenantId = tenantOf(req);
      const list = parseListQuery(req.query, { sortable: { startedAt: 'w.started_at' }, defaultSort: 'startedAt' });
      const active = req.query.active;
      const rows = await deps.db.forTenant(tenantId).query<WindowRow>(
        `SELECT ${windowColumns}, count(*) OVER () AS total FROM sla_exclusion_window w JOIN sla_service s ON s.id = w.service_id
         ${active === undefined ? '' : active ? 'WHERE w.ended_at IS NULL' : 'WHERE w.ended_at IS NOT NULL'}
         ORDER BY w.started_at DESC, w.id LIMIT ? OFFSET ?`,
        [list.limit, list.offset],
      );
      return listEnvelope(
        rows.map((r) => toWindow(r)),
        Number(rows[0]?.total ?? 0),
        { ...list, sortOrder: 'desc' },
        active === undefined ? {} : { active },
      );
    },
  };
}
