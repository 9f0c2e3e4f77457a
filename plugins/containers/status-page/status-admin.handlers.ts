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
import type { ComponentStatus, MonitorType } from './status-components.ts';

type Sql = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

type GroupRow = { id: string; name: string; description: string | null; position: number; created_at: Date; updated_at: Date };
type ComponentRow = {
  id: string;
  group_id: string | null;
  name: string;
  description: string | null;
  position: number;
  monitor_type: MonitorType;
  monitor_id: string;
  status: ComponentStatus | null;
  since: Date | null;
  when_paused: 'show' | 'hide';
  created_at: Date;
  updated_at: Date;
};

type GroupInput = { name?: string; description?: string | null; position?: number };
type ComponentInput = GroupInput & { groupId?: string | null; monitorType?: MonitorType; monitorId?: string; whenPaused?: 'show' | 'hide' };

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const groupView = (r: GroupRow) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  position: r.position,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export const componentView = (r: ComponentRow) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  groupId: r.group_id,
  position: r.position,
  monitorType: r.monitor_type,
  monitorId: r.monitor_id,
  status: r.status ?? 'unknown',
  statusSince: iso(r.since),
  whenPaused: r.when_paused,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

const componentSelect = `SELECT c.*, m.status, m.since FROM status_component c
  LEFT JOIN status_monitor m ON m.tenant_id = c.tenant_id AND m.monitor_type = c.monitor_type AND m.monitor_id = c.monitor_id`;

/** Heartbeats and SLA services are known to have uuids; endpoint and container ids are taken as given. */
function checkMonitor(type: MonitorType, id: string): void {
  if ((type === 'heartbeat' || type === 'sla_service') && !uuid.test(id)) {
    throw new AppError('validation_failed', 'The request does not match the contract', {
      details: [{ path: '/body/monitorId', message: `a ${type} id is a uuid` }],
    });
  }
}

/** Admin CRUD of a workspace's status page: component groups and components (tenant-scoped raw SQL). */
export function statusAdminHandlers(deps: { database: DatabaseService; events: EventsService; clock: () => Date }) {
  const { database, events, clock } = deps;

  /** A write and its `status_page.updated` event in one transaction. */
  const write = <T>(tenantId: string, kind: 'group' | 'component', action: 'created' | 'updated' | 'deleted', fn: (sql: Sql) => Promise<T & { id: string }>) =>
    database.forTenant(tenantId).transaction(async (tx) => {
      const result = await fn(tx.query);
      await events.publish(tx, { topic: 'status_page.updated', tenantId, payload: { kind, id: result.id, action } });
      return result;
    });

  // `sql` is always a workspace's transaction: row-level security keeps other workspaces' rows out.
  const ownedGroup = async (sql: Sql, id: string) => {
    const [row] = await sql<GroupRow>('SELECT * FROM status_group WHERE id = ?', [id]);
    if (!row) throw new AppError('not_found', `Status group ${id} was not found`);
    return row;
  };
  const readComponent = async (sql: Sql, id: string) => {
    const [row] = await sql<ComponentRow>(`${componentSelect} WHERE c.id = ?`, [id]);
    if (!row) throw new AppError('not_found', `Status component ${id} was not found`);
    return row;
  };

  return {
    async listStatusGroups(req: OperationRequest) {
      const list = parseListQuery<'position' | 'name' | 'createdAt'>(req.query, {
        sortable: { position: 'position', name: 'lower(name)', createdAt: 'created_at' },
        defaultSort: 'position',
      });
      const db = database.forTenant(req.tenantId as string);
      const where = ['TRUE'];
      const params: unknown[] = [];
      if (list.q) {
        where.push(`(name ILIKE ? ESCAPE '\\' OR description ILIKE ? ESCAPE '\\')`);
        params.push(likePattern(list.q), likePattern(list.q));
      }
      const rows = await db.query<GroupRow & { total: string }>(
        `SELECT *, count(*) OVER () AS total FROM status_group WHERE ${where.join(' AND ')} ORDER BY ${list.orderBy}, lower(name), id LIMIT ? OFFSET ?`,
        [...params, list.limit, list.offset],
      );
      const total = rows.length
        ? Number(rows[0].total)
        : Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM status_group WHERE ${where.join(' AND ')}`, params))[0].n);
      return listEnvelope(rows.map(groupView), total, list);
    },

    async createStatusGroup(req: OperationRequest<GroupInput>) {
      const tenantId = req.tenantId as string;
      const now = clock().toISOString();
      const row = await write(tenantId, 'group', 'created', async (sql) => {
        const [created] = await sql<GroupRow>(
          `INSERT INTO status_group (id, tenant_id, name, description, position, created_at, updated_at)
           VALUES (?, ?, ?, ?, COALESCE(?::integer, (SELECT max(position) + 1 FROM status_group), 0), ?, ?) RETURNING *`,
          [randomUUID(), tenantId, (req.body.name as string).trim(), req.body.description ?? null, req.body.position ?? null, now, now],
        );
        return created;
      });
      return { status: 201, body: groupView(row) };
    },

    async updateStatusGroup(req: OperationRequest<GroupInput, { id: string }>) {
      const tenantId = req.tenantId as string;
      const row = await write(tenantId, 'group', 'updated', async (sql) => {
        const current = await ownedGroup(sql, req.params.id);
        const [updated] = await sql<GroupRow>('UPDATE status_group SET name = ?, description = ?, position = ?, updated_at = ? WHERE id = ? RETURNING *', [
          req.body.name?.trim() ?? current.name,
          req.body.description === undefined ? current.description : req.body.description,
          req.body.position ?? current.position,
          clock().toISOString(),
          current.id,
        ]);
        return updated;
      });
      return groupView(row);
    },

    async deleteStatusGroup(req: OperationRequest<unknown, { id: string }>) {
      const tenantId = req.tenantId as string;
      await write(tenantId, 'group', 'deleted', async (sql) => {
        const [deleted] = await sql<{ id: string }>('DELETE FROM status_group WHERE id = ? RETURNING id', [req.params.id]);
        if (!deleted) throw new AppError('not_found', `Status group ${req.params.id} was not found`);
        return deleted;
      });
      return { status: 204 };
    },

    async listStatusComponents(req: OperationRequest<unknown, Record<string, string>, Record<string, unknown>>) {
      const list = parseListQuery<'position' | 'name' | 'status' | 'createdAt'>(req.query, {
        sortable: {
          position: 'c.position',
          name: 'lower(c.name)',
          status:
            "CASE COALESCE(m.status, 'unknown') WHEN 'major_outage' THEN 0 WHEN 'degraded' THEN 1 WHEN 'maintenance' THEN 2 WHEN 'unknown' THEN 3 ELSE 4 END",
          createdAt: 'c.created_at',
        },
        defaultSort: 'position',
      });
      const db = database.forTenant(req.tenantId as string);
      const where = ['TRUE'];
      const params: unknown[] = [];
      const filters: Record<string, unknown> = {};
      const filter = (name: string, column: string) => {
        const value = req.query[name];
        if (value === undefined) return;
        where.push(`${column} = ?`);
        params.push(value);
        filters[name] = value;
      };
      filter('groupId', 'c.group_id');
      filter('monitorType', 'c.monitor_type');
      filter('monitorId', 'c.monitor_id');
      filter('status', "COALESCE(m.status, 'unknown')");
      if (list.q) {
        where.push(`(c.name ILIKE ? ESCAPE '\\' OR c.description ILIKE ? ESCAPE '\\')`);
        params.push(likePattern(list.q), likePattern(list.q));
      }
      const rows = await db.query<ComponentRow & { total: string }>(
        `SELECT c.*, m.status, m.since, count(*) OVER () AS total FROM status_component c
         LEFT JOIN status_monitor m ON m.tenant_id = c.tenant_id AND m.monitor_type = c.monitor_type AND m.monitor_id = c.monitor_id
         WHERE ${where.join(' AND ')} ORDER BY ${list.orderBy}, lower(c.name), c.id LIMIT ? OFFSET ?`,
        [...params, list.limit, list.offset],
      );
      const total = rows.length
        ? Number(rows[0].total)
        : Number(
            (
              await db.query<{ n: string }>(
                `SELECT count(*) AS n FROM status_component c LEFT JOIN status_monitor m ON m.tenant_id = c.tenant_id AND m.monitor_type = c.monitor_type AND m.monitor_id = c.monitor_id WHERE ${where.join(' AND ')}`,
                params,
              )
            )[0].n,
          );
      return listEnvelope(rows.map(componentView), total, list, filters);
    },

    async createStatusComponent(req: OperationRequest<ComponentInput>) {
      const tenantId = req.tenantId as string;
      const body = req.body;
      checkMonitor(body.monitorType as MonitorType, body.monitorId as string);
      const now = clock().toISOString();
      const row = await write(tenantId, 'component', 'created', async (sql) => {
        if (body.groupId) await ownedGroup(sql, body.groupId);
        const id = randomUUID();
        await sql(
          `INSERT INTO status_component (id, tenant_id, group_id, name, description, position, monitor_type, monitor_id, when_paused, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, COALESCE(?::integer, (SELECT max(position) + 1 FROM status_component WHERE group_id IS NOT DISTINCT FROM ?::uuid), 0), ?, ?, ?, ?, ?)`,
          [
            id,
            tenantId,
            body.groupId ?? null,
            (body.name as string).trim(),
            body.description ?? null,
            body.position ?? null,
            body.groupId ?? null,
            body.monitorType,
            body.monitorId,
            body.whenPaused ?? 'show',
            now,
            now,
          ],
        );
        return readComponent(sql, id);
      });
      return { status: 201, body: componentView(row) };
    },

    async updateStatusComponent(req: OperationRequest<ComponentInput, { id: string }>) {
      const tenantId = req.tenantId as string;
      const body = req.body;
      const row = await write(tenantId, 'component', 'updated', async (sql) => {
        const current = await readComponent(sql, req.params.id);
        const monitorType = body.monitorType ?? current.monitor_type;
        const monitorId = body.monitorId ?? current.monitor_id;
        checkMonitor(monitorType, monitorId);
        if (body.groupId) await ownedGroup(sql, body.groupId);
        await sql(
          `UPDATE status_component SET group_id = ?, name = ?, description = ?, position = ?, monitor_type = ?, monitor_id = ?, when_paused = ?, updated_at = ?
           WHERE id = ?`,
          [
            body.groupId === undefined ? current.group_id : body.groupId,
            body.name?.trim() ?? current.name,
            body.description === undefined ? current.description : body.description,
            body.position ?? current.position,
            monitorType,
            monitorId,
            body.whenPaused ?? current.when_paused,
            clock().toISOString(),
            current.id,
          ],
        );
        return readComponent(sql, current.id);
      });
      return componentView(row);
    },

    async deleteStatusComponent(req: OperationRequest<unknown, { id: string }>) {
      const tenantId = req.tenantId as string;
      await write(tenantId, 'component', 'deleted', async (sql) => {
        const [deleted] = await sql<{ id: string }>('DELETE FROM status_component WHERE id = ? RETURNING id', [req.params.id]);
        if (!deleted) throw new AppError('not_found', `Status component ${req.params.id} was not found`);
        return deleted;
      });
      return { status: 204 };
    },
  };
}
