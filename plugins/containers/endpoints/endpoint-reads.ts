import { AppError, type DatabaseService, defineList, listEnvelope, parseListQuery } from '../../../core/plugin-api/index.ts';
import { flipView } from '../heartbeats/heartbeat-reads.ts';
import { type EndpointRow, endpointView, invalid } from './endpoint-rows.ts';
import type { EndpointStatus } from './endpoint-state.ts';

type CheckRow = {
  id: string;
  checked_at: Date;
  ok: boolean;
  response_ms: number | null;
  status_code: number | null;
  error: string | null;
  address: string | null;
};

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

/** Selects endpoint rows with the id of the certificate monitor of their target (`e` is the endpoint). */
export const endpointWithCertificate = `e.*, (SELECT c.id FROM certificate c WHERE e.scheme = 'https' AND c.tenant_id = e.tenant_id AND c.host = e.host
  AND c.port = e.port AND c.server_name = e.host) AS certificate_id`;

export type EndpointWithCertificate = EndpointRow & { certificate_id: string | null };

export const viewWithCertificate = ({ certificate_id, ...row }: EndpointWithCertificate) => endpointView(row, certificate_id);

export type EndpointView = ReturnType<typeof viewWithCertificate>;

export type EndpointListQuery = Record<string, unknown> & { status?: EndpointStatus; type?: string; containerId?: string };

export type EndpointCheckQuery = Record<string, unknown> & { ok?: boolean; since?: string; until?: string };

/**
 * The endpoint reads, shared by the REST handlers and the GraphQL resolvers so both answer the
 * same: the workspace's list, one endpoint and its check history (tenant-scoped raw SQL).
 */
export function endpointReads(deps: { database: DatabaseService }) {
  const { database } = deps;

  /** The endpoint of the workspace with its certificate monitor's id, or undefined (another workspace's id is not there). */
  const find = async (tenantId: string, id: string): Promise<EndpointView | undefined> => {
    const [row] = await database.forTenant(tenantId).query<EndpointWithCertificate>(`SELECT ${endpointWithCertificate} FROM endpoint e WHERE e.id = ?`, [id]);
    return row ? viewWithCertificate(row) : undefined;
  };

  const endpointList = defineList({
    from: 'endpoint e',
    select: endpointWithCertificate,
    sortable: {
      name: 'lower(e.name)',
      status: "CASE e.status WHEN 'down' THEN 0 WHEN 'pending' THEN 1 WHEN 'up' THEN 2 ELSE 3 END",
      lastCheckAt: 'e.last_check_at',
      responseTime: 'e.last_response_ms',
      createdAt: 'e.created_at',
    },
    defaultSort: 'name',
    equals: { status: 'e.status', type: 'e.scheme', containerId: 'e.container_id' },
    contains: { tag: 'e.tags' },
    search: ['e.name', 'e.url', 'e.description'],
    tieBreaker: 'e.id',
    nullsLast: true,
    view: viewWithCertificate,
  });

  const flipList = defineList({
    from: 'endpoint_flip',
    sortable: { at: 'at' },
    defaultSort: 'at',
    equals: { to: 'to_status' },
    tieBreaker: 'id DESC',
    view: flipView,
  });

  return {
    find,

    /** GET /api/v1/endpoints/{id}/flips: status changes of an endpoint the caller owns, newest first. */
    flips(tenantId: string, endpoint: { id: string }, query: Record<string, unknown> & { to?: string }) {
      return flipList.page(database.forTenant(tenantId), { ...query, sortOrder: 'desc' }, { where: 'endpoint_id = ?', params: [endpoint.id] });
    },

    /** GET /api/v1/endpoints/{id}: as `find`, answering 404 for an endpoint the workspace does not have. */
    async get(tenantId: string, id: string): Promise<EndpointView> {
      const view = await find(tenantId, id);
      if (!view) throw new AppError('not_found', `Endpoint ${id} was not found`);
      return view;
    },

    /** GET /api/v1/endpoints: one page of the workspace's endpoints. */
    list(tenantId: string, query: EndpointListQuery) {
      return endpointList.page(database.forTenant(tenantId), query);
    },

    /** GET /api/v1/endpoints/{id}/checks: check results of an endpoint the caller owns, newest first. */
    async checks(tenantId: string, endpoint: { id: string }, query: EndpointCheckQuery) {
      const db = database.forTenant(tenantId);
      const list = parseListQuery<'checkedAt'>(query, { sortable: { checkedAt: 'checked_at' }, defaultSort: 'checkedAt' });
      const where = ['endpoint_id = ?'];
      const params: unknown[] = [endpoint.id];
      const filters: Record<string, unknown> = {};
      if (query.ok !== undefined) {
        where.push('ok = ?');
        params.push(query.ok);
        filters.ok = query.ok;
      }
      if (query.since) {
        where.push('checked_at >= ?');
        params.push(query.since);
        filters.since = query.since;
      }
      if (query.until) {
        where.push('checked_at < ?');
        params.push(query.until);
        filters.until = query.until;
      }
      if (query.since && query.until && Date.parse(query.since) > Date.parse(query.until)) {
        invalid([{ path: '/query/until', message: 'must not be before since' }]);
      }
      const [rows, [count]] = await Promise.all([
        db.query<CheckRow>(`SELECT * FROM endpoint_check WHERE ${where.join(' AND ')} ORDER BY checked_at DESC, id DESC LIMIT ? OFFSET ?`, [
          ...params,
          list.limit,
          list.offset,
        ]),
        db.query<{ count: string }>(`SELECT count(*) AS count FROM endpoint_check WHERE ${where.join(' AND ')}`, params),
      ]);
      const data = rows.map((r) => ({
        id: r.id,
        checkedAt: iso(r.checked_at),
        ok: r.ok,
        responseTimeMs: r.response_ms,
        statusCode: r.status_code,
        error: r.error,
        address: r.address,
      }));
      return listEnvelope(data, Number(count.count), { ...list, sortOrder: 'desc' }, filters);
    },
  };
}

export type EndpointReads = ReturnType<typeof endpointReads>;
