import { randomUUID } from 'node:crypto';
import {
  AppError,
  type DatabaseService,
  type EventsService,
  likePattern,
  listEnvelope,
  type OperationRequest,
  parseListQuery,
} from '../../../core/plugin-api/index.ts';

type Sql = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

export const incidentStatuses = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];

type IncidentRow = {
  id: string;
  title: string;
  status: IncidentStatus;
  component_ids: string[];
  resolved_at: Date | null;
  created_at: Date;
  updated_at: Date;
};
type UpdateRow = { id: string; incident_id: string; status: IncidentStatus; message: string; created_at: Date };
type MaintenanceRow = {
  id: string;
  title: string;
  description: string | null;
  starts_at: Date;
  ends_at: Date;
  component_ids: string[];
  created_at: Date;
  updated_at: Date;
};

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

export const incidentView = (r: IncidentRow, updates: UpdateRow[]) => ({
  id: r.id,
  title: r.title,
  status: r.status,
  componentIds: r.component_ids,
  resolvedAt: iso(r.resolved_at),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
  updates: updates.map((u) => ({ id: u.id, status: u.status, message: u.message, createdAt: iso(u.created_at) })),
});
export type IncidentView = ReturnType<typeof incidentView>;

export const maintenanceView = (r: MaintenanceRow) => ({
  id: r.id,
  title: r.title,
  description: r.description,
  startsAt: iso(r.starts_at) as string,
  endsAt: iso(r.ends_at) as string,
  componentIds: r.component_ids,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});
export type MaintenanceView = ReturnType<typeof maintenanceView>;

const invalid = (path: string, message: string) =>
  new AppError('validation_failed', 'The request does not match the contract', { details: [{ path, message }] });

/** The workspace's own components only: an id of another workspace reads as unknown (row-level security). */
async function checkComponents(sql: Sql, ids: string[] | undefined) {
  if (!ids || ids.length === 0) return [];
  const unique = [...new Set(ids)];
  const found = await sql<{ id: string }>('SELECT id FROM status_component WHERE id = ANY(?::uuid[])', [unique]);
  if (found.length !== unique.length) throw invalid('/body/componentIds', 'every id names a component of this workspace');
  return unique;
}

async function readIncidents(sql: Sql, rows: IncidentRow[]) {
  if (rows.length === 0) return [];
  const updates = await sql<UpdateRow>('SELECT * FROM status_incident_update WHERE incident_id = ANY(?::uuid[]) ORDER BY created_at, id', [
    rows.map((r) => r.id),
  ]);
  return rows.map((r) =>
    incidentView(
      r,
      updates.filter((u) => u.incident_id === r.id),
    ),
  );
}

/** The incidents a public page shows: open ones, and those resolved in the last week. */
export async function pageIncidents(sql: Sql, now: Date) {
  const rows = await sql<IncidentRow>(
    `SELECT * FROM status_incident WHERE resolved_at IS NULL OR resolved_at > ?::timestamptz - interval '7 days' ORDER BY (resolved_at IS NULL) DESC, created_at DESC, id LIMIT 50`,
    [now.toISOString()],
  );
  return readIncidents(sql, rows);
}

/** The maintenance windows a public page shows: in progress or still to come. */
export async function pageMaintenances(sql: Sql, now: Date) {
  const rows = await sql<MaintenanceRow>('SELECT * FROM status_maintenance WHERE ends_at > ? ORDER BY starts_at, id LIMIT 50', [now.toISOString()]);
  return rows.map(maintenanceView);
}

type IncidentCreate = { title: string; status: IncidentStatus; message: string; componentIds?: string[] };
type IncidentUpdate = { title?: string; componentIds?: string[] };
type UpdateCreate = { status: IncidentStatus; message: string };
type MaintenanceInput = { title?: string; description?: string | null; startsAt?: string; endsAt?: string; componentIds?: string[] };

/**
 * Staff-written posts of a workspace's status page: incidents told in updates, and scheduled
 * maintenance windows. Every write publishes its public view (what the page shows) in the same
 * transaction, so open pages get it over their stream.
 */
export function statusPostsHandlers(deps: { database: DatabaseService; events: EventsService; clock: () => Date }) {
  const { database, events, clock } = deps;

  const incidentTx = <T>(tenantId: string, fn: (sql: Sql) => Promise<{ view: IncidentView | { id: string; deleted: true }; result: T }>) =>
    database.forTenant(tenantId).transaction(async (tx) => {
      const { view, result } = await fn(tx.query);
      await events.publish(tx, { topic: 'status_page.incident_changed', tenantId, payload: view });
      return result;
    });
  const maintenanceTx = <T>(tenantId: string, fn: (sql: Sql) => Promise<{ view: MaintenanceView | { id: string; deleted: true }; result: T }>) =>
    database.forTenant(tenantId).transaction(async (tx) => {
      const { view, result } = await fn(tx.query);
      await events.publish(tx, { topic: 'status_page.maintenance_changed', tenantId, payload: view });
      return result;
    });

  const oneIncident = async (sql: Sql, id: string) => {
    const [row] = await sql<IncidentRow>('SELECT * FROM status_incident WHERE id = ?', [id]);
    if (!row) throw new AppError('not_found', `Status incident ${id} was not found`);
    return (await readIncidents(sql, [row]))[0];
  };

  const window = (startsAt: string, endsAt: string) => {
    if (Date.parse(endsAt) <= Date.parse(startsAt)) throw invalid('/body/endsAt', 'ends after it starts');
  };

  return {
    async listStatusIncidents(req: OperationRequest<unknown, Record<string, string>, Record<string, unknown>>) {
      const list = parseListQuery<'createdAt' | 'updatedAt' | 'title'>(req.query, {
        sortable: { createdAt: 'created_at', updatedAt: 'updated_at', title: 'lower(title)' },
        defaultSort: 'createdAt',
      });
      const db = database.forTenant(req.tenantId as string);
      const where = ['TRUE'];
      const params: unknown[] = [];
      const filters: Record<string, unknown> = {};
      if (req.query.status !== undefined) {
        where.push('status = ?');
        params.push(req.query.status);
        filters.status = req.query.status;
      }
      if (list.q) {
        where.push(`title ILIKE ? ESCAPE '\\'`);
        params.push(likePattern(list.q));
      }
      return db.transaction(async (tx) => {
        const rows = await tx.query<IncidentRow & { total: string }>(
          `SELECT *, count(*) OVER () AS total FROM status_incident WHERE ${where.join(' AND ')} ORDER BY ${list.orderBy}, id LIMIT ? OFFSET ?`,
          [...params, list.limit, list.offset],
        );
        const total = rows.length
          ? Number(rows[0].total)
          : Number((await tx.query<{ n: string }>(`SELECT count(*) AS n FROM status_incident WHERE ${where.join(' AND ')}`, params))[0].n);
        return listEnvelope(await readIncidents(tx.query, rows), total, list, filters);
      });
    },

    async createStatusIncident(req: OperationRequest<IncidentCreate>) {
      const tenantId = req.tenantId as string;
      const now = clock().toISOString();
      const view = await incidentTx(tenantId, async (sql) => {
        const componentIds = await checkComponents(sql, req.body.componentIds);
        const id = randomUUID();
        await sql(
          `INSERT INTO status_incident (id, tenant_id, title, status, component_ids, resolved_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?::uuid[], ?, ?, ?)`,
          [id, tenantId, req.body.title.trim(), req.body.status, componentIds, req.body.status === 'resolved' ? now : null, now, now],
        );
        await sql('INSERT INTO status_incident_update (id, tenant_id, incident_id, status, message, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
          randomUUID(),
          tenantId,
          id,
          req.body.status,
          req.body.message.trim(),
          now,
        ]);
        const created = await oneIncident(sql, id);
        return { view: created, result: created };
      });
      return { status: 201, body: view };
    },

    async updateStatusIncident(req: OperationRequest<IncidentUpdate, { id: string }>) {
      const tenantId = req.tenantId as string;
      return incidentTx(tenantId, async (sql) => {
        const current = await oneIncident(sql, req.params.id);
        const componentIds = req.body.componentIds === undefined ? current.componentIds : await checkComponents(sql, req.body.componentIds);
        await sql('UPDATE status_incident SET title = ?, component_ids = ?::uuid[], updated_at = ? WHERE id = ?', [
          req.body.title?.trim() ?? current.title,
          componentIds,
          clock().toISOString(),
          current.id,
        ]);
        const updated = await oneIncident(sql, current.id);
        return { view: updated, result: updated };
      });
    },

    async deleteStatusIncident(req: OperationRequest<unknown, { id: string }>) {
      await incidentTx(req.tenantId as string, async (sql) => {
        const [deleted] = await sql<{ id: string }>('DELETE FROM status_incident WHERE id = ? RETURNING id', [req.params.id]);
        if (!deleted) throw new AppError('not_found', `Status incident ${req.params.id} was not found`);
        return { view: { id: deleted.id, deleted: true as const }, result: undefined };
      });
      return { status: 204 };
    },

    async createStatusIncidentUpdate(req: OperationRequest<UpdateCreate, { id: string }>) {
      const tenantId = req.tenantId as string;
      const now = clock().toISOString();
      const view = await incidentTx(tenantId, async (sql) => {
        const current = await oneIncident(sql, req.params.id);
        await sql('INSERT INTO status_incident_update (id, tenant_id, incident_id, status, message, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
          randomUUID(),
          tenantId,
          current.id,
          req.body.status,
          req.body.message.trim(),
          now,
        ]);
        await sql('UPDATE status_incident SET status = ?, resolved_at = ?, updated_at = ? WHERE id = ?', [
          req.body.status,
          req.body.status === 'resolved' ? (current.resolvedAt ?? now) : null,
          now,
          current.id,
        ]);
        const updated = await oneIncident(sql, current.id);
        return { view: updated, result: updated };
      });
      return { status: 201, body: view };
    },

    async listStatusMaintenances(req: OperationRequest<unknown, Record<string, string>, Record<string, unknown>>) {
      const list = parseListQuery<'startsAt' | 'createdAt' | 'title'>(req.query, {
        sortable: { startsAt: 'starts_at', createdAt: 'created_at', title: 'lower(title)' },
        defaultSort: 'startsAt',
      });
      const db = database.forTenant(req.tenantId as string);
      const where = ['TRUE'];
      const params: unknown[] = [];
      const filters: Record<string, unknown> = {};
      if (req.query.state === 'upcoming' || req.query.state === 'past') {
        where.push(req.query.state === 'upcoming' ? 'ends_at > ?' : 'ends_at <= ?');
        params.push(clock().toISOString());
        filters.state = req.query.state;
      }
      if (list.q) {
        where.push(`(title ILIKE ? ESCAPE '\\' OR description ILIKE ? ESCAPE '\\')`);
        params.push(likePattern(list.q), likePattern(list.q));
      }
      const rows = await db.query<MaintenanceRow & { total: string }>(
        `SELECT *, count(*) OVER () AS total FROM status_maintenance WHERE ${where.join(' AND ')} ORDER BY ${list.orderBy}, id LIMIT ? OFFSET ?`,
        [...params, list.limit, list.offset],
      );
      const total = rows.length
        ? Number(rows[0].total)
        : Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM status_maintenance WHERE ${where.join(' AND ')}`, params))[0].n);
      return listEnvelope(rows.map(maintenanceView), total, list, filters);
    },

    async createStatusMaintenance(req: OperationRequest<Required<MaintenanceInput>>) {
      const tenantId = req.tenantId as string;
      const now = clock().toISOString();
      window(req.body.startsAt, req.body.endsAt);
      const view = await maintenanceTx(tenantId, async (sql) => {
        const componentIds = await checkComponents(sql, req.body.componentIds);
        const [row] = await sql<MaintenanceRow>(
          `INSERT INTO status_maintenance (id, tenant_id, title, description, starts_at, ends_at, component_ids, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?::uuid[], ?, ?) RETURNING *`,
          [randomUUID(), tenantId, req.body.title.trim(), req.body.description ?? null, req.body.startsAt, req.body.endsAt, componentIds, now, now],
        );
        const created = maintenanceView(row);
        return { view: created, result: created };
      });
      return { status: 201, body: view };
    },

    async updateStatusMaintenance(req: OperationRequest<MaintenanceInput, { id: string }>) {
      return maintenanceTx(req.tenantId as string, async (sql) => {
        const [current] = await sql<MaintenanceRow>('SELECT * FROM status_maintenance WHERE id = ?', [req.params.id]);
        if (!current) throw new AppError('not_found', `Status maintenance ${req.params.id} was not found`);
        const startsAt = req.body.startsAt ?? new Date(current.starts_at).toISOString();
        const endsAt = req.body.endsAt ?? new Date(current.ends_at).toISOString();
        window(startsAt, endsAt);
        const componentIds = req.body.componentIds === undefined ? current.component_ids : await checkComponents(sql, req.body.componentIds);
        const [row] = await sql<MaintenanceRow>(
          'UPDATE status_maintenance SET title = ?, description = ?, starts_at = ?, ends_at = ?, component_ids = ?::uuid[], updated_at = ? WHERE id = ? RETURNING *',
          [
            req.body.title?.trim() ?? current.title,
            req.body.description === undefined ? current.description : req.body.description,
            startsAt,
            endsAt,
            componentIds,
            clock().toISOString(),
            current.id,
          ],
        );
        const updated = maintenanceView(row);
        return { view: updated, result: updated };
      });
    },

    async deleteStatusMaintenance(req: OperationRequest<unknown, { id: string }>) {
      await maintenanceTx(req.tenantId as string, async (sql) => {
        const [deleted] = await sql<{ id: string }>('DELETE FROM status_maintenance WHERE id = ? RETURNING id', [req.params.id]);
        if (!deleted) throw new AppError('not_found', `Status maintenance ${req.params.id} was not found`);
        return { view: { id: deleted.id, deleted: true as const }, result: undefined };
      });
      return { status: 204 };
    },
  };
}
