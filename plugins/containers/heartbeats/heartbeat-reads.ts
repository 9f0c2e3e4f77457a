import { AppError, type DatabaseService, defineList, listEnvelope, parseListQuery } from '../../../core/plugin-api/index.ts';
import { type HeartbeatRow, heartbeatView } from './heartbeat-rows.ts';
import type { HeartbeatStatus } from './ping-semantics.ts';

type PingRow = {
  id: string;
  kind: string;
  received_at: Date;
  exit_code: number | null;
  rid: string | null;
  duration_ms: string | null;
  start_ping_id: string | null;
  method: string;
  remote_addr: string | null;
  user_agent: string | null;
  body: string | null;
  body_bytes: number;
};

type ExecutionRow = {
  id: string;
  kind: 'success' | 'fail' | 'start';
  rid: string | null;
  started_at: Date | null;
  completed_at: Date | null;
  duration_ms: string | null;
  exit_code: number | null;
  total: string;
};

type FlipRow = { id: string; at: Date; from_status: string; to_status: string; reason: string | null };

/** A status change as the flips lists show it (heartbeats and endpoints alike). */
export const flipView = (r: FlipRow) => ({ at: new Date(r.at).toISOString(), from: r.from_status, to: r.to_status, reason: r.reason });

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());
const num = (v: string | number | null) => (v === null ? null : Number(v));

export type HeartbeatListQuery = Record<string, unknown> & { status?: HeartbeatStatus; tag?: string };

/**
 * The heartbeat reads, shared by the REST handlers and the GraphQL resolvers so both answer the
 * same: the workspace's list, one heartbeat, its pings and its executions (tenant-scoped raw SQL).
 */
export function heartbeatReads(deps: { database: DatabaseService; clock: () => Date; absoluteUrl: (path: string) => string }) {
  const { database, clock } = deps;
  const view = (row: HeartbeatRow) => heartbeatView(row, deps.absoluteUrl);
  const heartbeatList = defineList({
    from: 'heartbeat',
    sortable: {
      name: 'lower(name)',
      status: "CASE status WHEN 'down' THEN 0 WHEN 'late' THEN 1 WHEN 'up' THEN 2 WHEN 'new' THEN 3 ELSE 4 END",
      lastPingAt: 'last_ping_at',
      nextDeadlineAt: 'expected_at',
      createdAt: 'created_at',
    },
    defaultSort: 'name',
    equals: { status: 'status' },
    contains: { tag: 'tags' },
    search: ['name', 'description'],
    nullsLast: true,
    view,
  });
  const pingList = defineList({
    from: 'heartbeat_ping',
    sortable: { receivedAt: 'received_at' },
    defaultSort: 'receivedAt',
    equals: { kind: 'kind' },
    tieBreaker: 'id DESC',
    view: (r: PingRow) => ({
      id: r.id,
      kind: r.kind,
      receivedAt: iso(r.received_at),
      exitCode: r.exit_code,
      rid: r.rid,
      durationMs: num(r.duration_ms),
      startPingId: r.start_ping_id,
      method: r.method,
      remoteAddr: r.remote_addr,
      userAgent: r.user_agent,
      body: r.body,
      bodyBytes: r.body_bytes,
    }),
  });

  const flipList = defineList({
    from: 'heartbeat_flip',
    sortable: { at: 'at' },
    defaultSort: 'at',
    equals: { to: 'to_status' },
    tieBreaker: 'id DESC',
    view: flipView,
  });

  /** The heartbeat of the workspace, or undefined (another workspace's id is not there). */
  const find = async (tenantId: string, id: string) => {
    const [row] = await database.forTenant(tenantId).query<HeartbeatRow>('SELECT * FROM heartbeat WHERE id = ?', [id]);
    return row as HeartbeatRow | undefined;
  };

  return {
    view,
    find,

    /** As `find`, answering 404 for a heartbeat the workspace does not have. */
    async owned(tenantId: string, id: string): Promise<HeartbeatRow> {
      const row = await find(tenantId, id);
      if (!row) throw new AppError('not_found', `Heartbeat ${id} was not found`);
      return row;
    },

    /** GET /api/v1/heartbeats: one page of the workspace's heartbeats. */
    list(tenantId: string, query: HeartbeatListQuery) {
      return heartbeatList.page(database.forTenant(tenantId), query);
    },

    /** GET /api/v1/heartbeats/{id}/pings: raw pings of a heartbeat the caller owns, newest first. */
    pings(tenantId: string, heartbeat: { id: string }, query: Record<string, unknown> & { kind?: string }) {
      return pingList.page(database.forTenant(tenantId), { ...query, sortOrder: 'desc' }, { where: 'heartbeat_id = ?', params: [heartbeat.id] });
    },

    /** GET /api/v1/heartbeats/{id}/flips: status changes of a heartbeat the caller owns, newest first. */
    flips(tenantId: string, heartbeat: { id: string }, query: Record<string, unknown> & { to?: string }) {
      return flipList.page(database.forTenant(tenantId), { ...query, sortOrder: 'desc' }, { where: 'heartbeat_id = ?', params: [heartbeat.id] });
    },

    /** GET /api/v1/heartbeats/{id}/executions: runs of a heartbeat the caller owns, newest first. */
    async executions(heartbeat: HeartbeatRow, query: Record<string, unknown>) {
      const list = parseListQuery<'startedAt'>({ ...query, sortOrder: 'desc' }, { defaultSort: 'startedAt', sortable: { startedAt: 'started_at' } });
      // Completions (with the start they were paired with), and starts no completion claimed.
      const rows = await database.forTenant(heartbeat.tenant_id).query<ExecutionRow>(
        `SELECT *, count(*) OVER () AS total FROM (
           SELECT c.id, c.kind, c.rid, s.received_at AS started_at, c.received_at AS completed_at, c.duration_ms, c.exit_code
           FROM heartbeat_ping c LEFT JOIN heartbeat_ping s ON s.id = c.start_ping_id
           WHERE c.heartbeat_id = ? AND c.kind IN ('success', 'fail')
           UNION ALL
           SELECT s.id, s.kind, s.rid, s.received_at, NULL, NULL, NULL
           FROM heartbeat_ping s
           WHERE s.heartbeat_id = ? AND s.kind = 'start' AND NOT EXISTS (SELECT 1 FROM heartbeat_ping c WHERE c.start_ping_id = s.id)
         ) e ORDER BY coalesce(started_at, completed_at) DESC, id DESC LIMIT ? OFFSET ?`,
        [heartbeat.id, heartbeat.id, list.limit, list.offset],
      );
      const open = new Set((heartbeat.open_runs ?? []).map((r) => r.pingId));
      const runLimitMs = (heartbeat.start_grace_seconds ?? heartbeat.grace_seconds) * 1000;
      const now = clock().getTime();
      const data = rows.map((r) => ({
        id: r.id,
        rid: r.rid,
        startedAt: iso(r.started_at),
        completedAt: iso(r.completed_at),
        durationMs: num(r.duration_ms),
        exitCode: r.exit_code,
        outcome:
          r.kind === 'success'
            ? 'success'
            : r.kind === 'fail'
              ? 'failure'
              : open.has(r.id) && new Date(r.started_at as Date).getTime() + runLimitMs > now
                ? 'running'
                : 'timeout',
      }));
      return listEnvelope(data, rows.length > 0 ? Number(rows[0].total) : 0, list);
    },
  };
}

export type HeartbeatReads = ReturnType<typeof heartbeatReads>;
