import { AppError, type DatabaseService, defineList, type SqlQuery } from '../../../core/plugin-api/index.ts';
import type { ContainerRow } from './container-store.ts';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** A container's group: its `itops.group` label, else its compose project, else its namespace. */
export const groupKeySql = `CASE WHEN c.labels->>'itops.group' IS NOT NULL THEN 'label:' || (c.labels->>'itops.group')
  WHEN c.compose_project IS NOT NULL THEN 'compose:' || c.compose_project
  WHEN c.namespace IS NOT NULL THEN 'namespace:' || c.namespace ELSE 'ungrouped' END`;

const withGroup = `(SELECT c.*, ${groupKeySql} AS group_key FROM container c) c`;

type Row = ContainerRow & { group_key: string };

export function containerView(row: Row) {
  return {
    id: row.id,
    name: row.name,
    source: row.source,
    externalId: row.external_id,
    image: row.image,
    imageDigest: row.image_digest,
    state: row.state,
    health: row.health,
    stateSince: iso(row.state_at) as string,
    labels: row.labels,
    group: row.group_key,
    composeProject: row.compose_project,
    composeService: row.compose_service,
    namespace: row.namespace,
    workloadKind: row.workload_kind,
    workloadName: row.workload_name,
    host: row.host,
    createdAt: iso(row.runtime_created_at),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    exitCode: row.exit_code,
    restartCount: row.restart_count,
    restartLoop: row.restart_alert,
    firstSeenAt: iso(row.first_seen_at) as string,
    lastSeenAt: iso(row.last_seen_at) as string,
    removedAt: iso(row.removed_at),
  };
}

/**
 * Running time over observed time in [from, to): the state before the window comes from the last
 * transition before it; time before the container was first seen is not observed.
 */
export function uptimeIn(transitions: { at: Date; to: string }[], stateBefore: string | null, firstSeen: Date, from: Date, to: Date) {
  const start = Math.max(from.getTime(), firstSeen.getTime());
  const end = to.getTime();
  if (end <= start) return { percent: null, runningSeconds: 0, observedSeconds: 0 };
  let state = stateBefore;
  let cursor = start;
  let running = 0;
  for (const t of transitions) {
    const at = t.at.getTime();
    if (at <= start) {
      state = t.to;
      continue;
    }
    if (at >= end) break;
    if (state === 'running') running += at - cursor;
    cursor = at;
    state = t.to;
  }
  if (state === 'running') running += end - cursor;
  const observed = end - start;
  return {
    percent: Math.round((running / observed) * 100_000) / 1000,
    runningSeconds: Math.round(running / 1000),
    observedSeconds: Math.round(observed / 1000),
  };
}

/** The container reads shared by the REST handlers and GraphQL: list with groups, one with uptime, transitions. */
export function containerReads(deps: { database: DatabaseService; clock: () => Date }) {
  const list = defineList({
    from: withGroup,
    sortable: {
      name: 'lower(c.name)',
      state: "CASE c.state WHEN 'running' THEN 1 WHEN 'restarting' THEN 0 ELSE 2 END",
      startedAt: 'c.started_at',
      restartCount: 'c.restart_count',
      lastSeenAt: 'c.last_seen_at',
      group: 'c.group_key',
    },
    defaultSort: 'name',
    equals: { state: 'c.state', source: 'c.source', group: 'c.group_key' },
    search: ['c.name', 'c.image'],
    nullsLast: true,
    view: containerView,
  });

  const find = async (query: SqlQuery, id: string): Promise<Row> => {
    const [row] = await query<Row>(`SELECT * FROM ${withGroup} WHERE c.id = ?`, [id]);
    if (!row) throw new AppError('not_found', `Container ${id} was not found`);
    return row;
  };

  return {
    find,
    async list(tenantId: string, query: Record<string, unknown>) {
      const db = deps.database.forTenant(tenantId);
      const scope = query.includeRemoved === true ? undefined : { where: "c.state <> 'removed'", params: [] };
      const page = await list.page(db, query, scope);
      if (query.includeRemoved === true) page.filters.includeRemoved = true;
      const where = [query.includeRemoved === true ? 'true' : "c.state <> 'removed'"];
      const params: unknown[] = [];
      for (const [key, column] of [
        ['state', 'c.state'],
        ['source', 'c.source'],
      ]) {
        if (query[key] !== undefined) {
          where.push(`${column} = ?`);
          params.push(query[key]);
        }
      }
      const groups = await db.query<{ key: string; total: string; running: string; stopped: string; unhealthy: string }>(
        `SELECT c.group_key AS key, count(*) AS total, count(*) FILTER (WHERE c.state = 'running') AS running,
           count(*) FILTER (WHERE c.state IN ('exited', 'dead', 'created')) AS stopped, count(*) FILTER (WHERE c.health = 'unhealthy') AS unhealthy
         FROM ${withGroup} WHERE ${where.join(' AND ')} GROUP BY c.group_key ORDER BY c.group_key`,
        params,
      );
      const workloads = await db.query<{ namespace: string; kind: string; name: string; replicas: number; ready_replicas: number }>(
        'SELECT namespace, kind, name, replicas, ready_replicas FROM container_workload ORDER BY namespace, kind, name',
      );
      return {
        ...page,
        groups: groups.map((g) => {
          const [kind, ...rest] = g.key.split(':');
          const name = kind === 'ungrouped' ? 'ungrouped' : rest.join(':');
          const inNamespace = kind === 'namespace' ? workloads.filter((w) => w.namespace === name) : [];
          return {
            key: g.key,
            kind,
            name,
            total: Number(g.total),
            running: Number(g.running),
            stopped: Number(g.stopped),
            unhealthy: Number(g.unhealthy),
            ...(kind === 'namespace'
              ? { workloads: inNamespace.map((w) => ({ kind: w.kind, name: w.name, replicas: w.replicas, readyReplicas: w.ready_replicas })) }
              : {}),
          };
        }),
      };
    },

    async get(tenantId: string, id: string) {
      const db = deps.database.forTenant(tenantId);
      const row = await find(db.query, id);
      const now = deps.clock();
      const since = new Date(now.getTime() - 30 * 86_400_000);
      const transitions = await db.query<{ at: Date; to_value: string }>(
        "SELECT at, to_value FROM container_transition WHERE container_id = ? AND kind = 'state' AND at >= ? ORDER BY at, id",
        [id, since.toISOString()],
      );
      const [before] = await db.query<{ to_value: string }>(
        "SELECT to_value FROM container_transition WHERE container_id = ? AND kind = 'state' AND at < ? ORDER BY at DESC LIMIT 1",
        [id, since.toISOString()],
      );
      const list = transitions.map((t) => ({ at: new Date(t.at), to: t.to_value }));
      const window = (days: number) => uptimeIn(list, before?.to_value ?? null, new Date(row.first_seen_at), new Date(now.getTime() - days * 86_400_000), now);
      return { ...containerView(row), uptime: { last24h: window(1), last7d: window(7), last30d: window(30) } };
    },

    async transitions(tenantId: string, id: string, query: Record<string, unknown>) {
      const db = deps.database.forTenant(tenantId);
      await find(db.query, id);
      const since = typeof query.since === 'string' ? query.since : undefined;
      // Newest first: the contract offers no other order.
      return transitionList.page(
        db,
        { ...query, sortOrder: 'desc' },
        {
          where: since ? 't.container_id = ? AND t.at >= ?' : 't.container_id = ?',
          params: since ? [id, since] : [id],
        },
      );
    },
  };
}

const transitionList = defineList({
  from: 'container_transition t',
  sortable: { at: 't.at' },
  defaultSort: 'at',
  equals: { kind: 't.kind' },
  view: (row: { id: string; at: Date; kind: string; from_value: string | null; to_value: string; exit_code: number | null; reason: string | null }) => ({
    id: row.id,
    at: iso(row.at) as string,
    kind: row.kind,
    from: row.from_value,
    to: row.to_value,
    exitCode: row.exit_code,
    reason: row.reason,
  }),
});

export type ContainerReads = ReturnType<typeof containerReads>;
