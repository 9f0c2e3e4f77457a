import { type AlertsService, type EventsService, isoTimestamp, type Tx } from '../../../core/plugin-api/index.ts';
import type { ContainerHealth, ContainerState, RuntimeContainer } from '../runtime/runtime-adapter.ts';

export type ContainerSource = 'docker' | 'kubernetes' | 'agent';

/**
 * One thing a runtime said about a container at a time: its full description (listing, inspection,
 * watch object, agent report) and/or a state or health change (an event).
 */
export interface Observation {
  externalId: string;
  at: Date;
  container?: RuntimeContainer;
  state?: ContainerState;
  health?: Exclude<ContainerHealth, null>;
  exitCode?: number | null;
  reason?: string;
}

export interface ContainerRow {
  id: string;
  tenant_id: string;
  source: ContainerSource;
  external_id: string;
  name: string;
  image: string;
  image_digest: string | null;
  state: ContainerState;
  health: ContainerHealth;
  state_at: Date;
  labels: Record<string, string>;
  compose_project: string | null;
  compose_service: string | null;
  namespace: string | null;
  workload_kind: string | null;
  workload_name: string | null;
  host: string | null;
  runtime_created_at: Date | null;
  started_at: Date | null;
  finished_at: Date | null;
  exit_code: number | null;
  restart_count: number;
  restart_alert: boolean;
  first_seen_at: Date;
  last_seen_at: Date;
  removed_at: Date | null;
}

export interface RestartPolicy {
  /** Starts within the window that make a restart loop (default 3 in 10 minutes). */
  threshold: number;
  windowSeconds: number;
}

export interface Transition {
  containerId: string;
  kind: 'state' | 'health';
  from: string | null;
  to: string;
  at: Date;
  exitCode: number | null;
  reason: string | null;
}

export interface ApplyResult {
  transitions: Transition[];
  /** Containers that are new, changed labels or were removed: their label-declared endpoints follow. */
  labelsChanged: { id: string; name: string; labels: Record<string, string>; removed: boolean; created: boolean }[];
}

const jsonOf = (v: unknown) => JSON.stringify(v ?? null);
// Times come as Dates from the driver and the adapters; a string is tolerated. A burst formats
// several per event, where toISOString and a copy of each Date were a fifth of this file's CPU.
const millis = (d: Date | string) => (typeof d === 'string' ? Date.parse(d) : d.getTime());
const iso = (d: Date | string | null | undefined) => (d ? isoTimestamp(typeof d === 'string' ? new Date(d) : d) : null);

/** What events alone read and change of a row (`eventsOf` names the container too). */
const movedColumns =
  'id, tenant_id, source, external_id, name, state, health, state_at, started_at, finished_at, exit_code, restart_count, last_seen_at, removed_at';

/** Publishes a container's state, health and restart-loop events (topic names from seed 004). */
function eventsOf(rows: Map<string, ContainerRow>, transitions: Transition[]) {
  const byId = new Map([...rows.values()].map((r) => [r.id, r]));
  return transitions.map((t) => {
    const row = byId.get(t.containerId) as ContainerRow;
    const base = { containerId: t.containerId, name: row.name, source: row.source, externalId: row.external_id, at: isoTimestamp(t.at) };
    return t.kind === 'state'
      ? {
          topic: 'container.state_changed',
          tenantId: row.tenant_id,
          payload: { ...base, state: t.to, previousState: t.from, exitCode: t.exitCode, reason: t.reason },
        }
      : { topic: 'container.health_changed', tenantId: row.tenant_id, payload: { ...base, health: t.to, previousHealth: t.from } };
  });
}

/**
 * Applies observations in order, in the caller's transaction and in a fixed number of statements
 * whatever their number: rows are read and locked once, changed in memory, written back with one
 * upsert, transitions inserted with one statement, events published with one more. An observation
 * older than the state it would change (`state_at`) changes nothing, so a replay is harmless.
 * `removeMissing`: a complete listing (taken at `listedAt`, the runtime's time, and begun at
 * `listStartedAt` on this server's clock), so containers of the source not in it are removed as of
 * then. A listing can be older than what another writer applied while it was read (a round that
 * outlived its lease, an event whose runtime time equals the listing's): a container whose state is
 * not older than `listedAt`, or that was seen after the listing began, is kept; the next listing settles it.
 * `onLocked` is called once the rows are locked, and `beforeEvents` awaited before the events are
 * written: the runtime watcher overlaps its batches between the two (see RuntimeWatcher.transact).
 */
export async function applyObservations(
  tx: Tx,
  deps: { events: EventsService; alerts: AlertsService; restart: RestartPolicy },
  tenantId: string,
  source: ContainerSource,
  observations: Observation[],
  now: Date,
  options: { removeMissing?: boolean; listedAt?: Date; listStartedAt?: Date; onLocked?: () => void; beforeEvents?: Promise<unknown> } = {},
): Promise<ApplyResult> {
  const ids = [...new Set(observations.map((o) => o.externalId))];
  // Events alone (a burst of state changes) only move state and times and name the container in
  // their events: the rest of the row, labels above all, is not read then.
  const eventsOnly = !options.removeMissing && observations.every((o) => !o.container);
  const existing = await tx.query<ContainerRow>(
    options.removeMissing
      ? `SELECT * FROM container WHERE source = ? AND (external_id = ANY(?::text[]) OR state <> 'removed') ORDER BY external_id FOR UPDATE`
      : `SELECT ${eventsOnly ? movedColumns : '*'} FROM container WHERE source = ? AND external_id = ANY(?::text[]) ORDER BY external_id FOR UPDATE`,
    [source, ids],
  );
  options.onLocked?.();
  if (eventsOnly) for (const row of existing) row.labels = {};
  const rows = new Map(existing.map((r) => [r.external_id, r]));
  const touched = new Set<string>();
  const described = new Set<string>();
  const transitions: (Transition & { externalId: string })[] = [];
  const labelsChanged = new Map<string, boolean>(); // external id → created by these observations
  const all = [...observations];
  if (options.removeMissing) {
    const listed = new Set(ids);
    const listedAt = (options.listedAt ?? now).getTime();
    const startedAt = (options.listStartedAt ?? now).getTime();
    for (const row of existing)
      if (!listed.has(row.external_id) && row.state !== 'removed' && millis(row.state_at) < listedAt && millis(row.last_seen_at) <= startedAt)
        all.push({ externalId: row.external_id, at: new Date(listedAt), state: 'removed', reason: 'no longer listed by the runtime' });
  }
  for (const o of all) {
    let row = rows.get(o.externalId);
    const c = o.container;
    if (!row) {
      // Never seen: only a full description makes a row (an event alone waits for the next listing).
      if (!c) continue;
      row = {
        id: '',
        tenant_id: tenantId,
        source,
        external_id: o.externalId,
        name: c.name,
        image: c.image,
        image_digest: c.imageDigest,
        state: 'unknown',
        health: null,
        state_at: new Date(0),
        labels: {},
        compose_project: null,
        compose_service: null,
        namespace: null,
        workload_kind: null,
        workload_name: null,
        host: null,
        runtime_created_at: null,
        started_at: null,
        finished_at: null,
        exit_code: null,
        restart_count: 0,
        restart_alert: false,
        first_seen_at: now,
        last_seen_at: now,
        removed_at: null,
      };
      rows.set(o.externalId, row);
      labelsChanged.set(o.externalId, true);
    }
    touched.add(o.externalId);
    if (c) described.add(o.externalId);
    row.last_seen_at = now;
    const stale = o.at.getTime() < millis(row.state_at);
    if (c && !stale) {
      if (jsonOf(row.labels) !== jsonOf(c.labels)) labelsChanged.set(o.externalId, labelsChanged.get(o.externalId) ?? false);
      Object.assign(row, {
        name: c.name,
        image: c.image,
        image_digest: c.imageDigest ?? row.image_digest,
        labels: c.labels,
        compose_project: c.composeProject,
        compose_service: c.composeService,
        namespace: c.namespace,
        workload_kind: c.workloadKind,
        workload_name: c.workloadName,
        host: c.host,
        runtime_created_at: c.createdAt ?? row.runtime_created_at,
        started_at: c.startedAt ?? row.started_at,
        finished_at: c.finishedAt ?? row.finished_at,
        exit_code: c.exitCode ?? row.exit_code,
        restart_count: Math.max(c.restartCount, row.restart_count),
      });
    }
    if (stale) continue;
    const state = o.state ?? c?.state;
    if (state && state !== row.state) {
      transitions.push({
        externalId: o.externalId,
        containerId: row.id,
        kind: 'state',
        from: row.state === 'unknown' && row.id === '' ? null : row.state,
        to: state,
        at: o.at,
        exitCode: o.exitCode ?? (state === 'exited' ? (c?.exitCode ?? null) : null),
        reason: o.reason ?? null,
      });
      // A restart counts a start after the container had run (the first start of a new one does not).
      if (state === 'running' && row.started_at && row.state !== 'unknown' && row.state !== 'created' && !c) row.restart_count += 1;
      if (state === 'running' && !c) row.started_at = o.at;
      if (state === 'exited' || state === 'dead') {
        row.finished_at = c?.finishedAt ?? o.at;
        row.exit_code = o.exitCode ?? c?.exitCode ?? row.exit_code;
      }
      if (state === 'removed') {
        row.removed_at = o.at;
        labelsChanged.set(o.externalId, labelsChanged.get(o.externalId) ?? false);
      } else row.removed_at = null;
      row.state = state;
      row.state_at = o.at;
      // Health belongs to a running container; leaving running forgets it.
      if (state !== 'running' && row.health !== null && o.health === undefined) row.health = null;
    } else if (state) row.state_at = o.at;
    const health = o.health ?? (c ? (c.health ?? undefined) : undefined);
    if (health && health !== row.health) {
      transitions.push({ externalId: o.externalId, containerId: row.id, kind: 'health', from: row.health, to: health, at: o.at, exitCode: null, reason: null });
      row.health = health;
    }
  }
  if (touched.size === 0) return { transitions: [], labelsChanged: [] };

  // Rows an event only moved (state, health, times) are updated in place, touching no indexed
  // column (so PostgreSQL updates them on the same page without index entries); new or described
  // rows take the full upsert.
  const moved: string[] = [];
  const upserted = new Set<string>();
  for (const id of touched) {
    if (!described.has(id) && (rows.get(id) as ContainerRow).id !== '') moved.push(id);
    else upserted.add(id);
  }
  if (moved.length > 0) {
    await tx.query(
      `UPDATE container c SET state = x.state, health = x.health, state_at = x.state_at, started_at = x.started_at, finished_at = x.finished_at,
         exit_code = x.exit_code, restart_count = x.restart_count, last_seen_at = x.last_seen_at, removed_at = x.removed_at
       FROM jsonb_to_recordset(?::jsonb) AS x(id uuid, state text, health text, state_at timestamptz, started_at timestamptz, finished_at timestamptz,
         exit_code int, restart_count int, last_seen_at timestamptz, removed_at timestamptz)
       WHERE c.id = x.id`,
      [
        JSON.stringify(
          moved.map((id) => {
            const r = rows.get(id) as ContainerRow;
            return {
              id: r.id,
              state: r.state,
              health: r.health,
              state_at: iso(r.state_at),
              started_at: iso(r.started_at),
              finished_at: iso(r.finished_at),
              exit_code: r.exit_code,
              restart_count: r.restart_count,
              last_seen_at: iso(r.last_seen_at),
              removed_at: iso(r.removed_at),
            };
          }),
        ),
      ],
    );
  }
  // A burst of events only moves rows: no upsert statement at all then.
  const written =
    upserted.size === 0
      ? []
      : await tx.query<{ id: string; external_id: string }>(
          `INSERT INTO container AS c (tenant_id, source, external_id, name, image, image_digest, state, health, state_at, labels, compose_project,
       compose_service, namespace, workload_kind, workload_name, host, runtime_created_at, started_at, finished_at, exit_code, restart_count,
       first_seen_at, last_seen_at, removed_at)
     SELECT ?, ?, x.external_id, x.name, x.image, x.image_digest, x.state, x.health, x.state_at, x.labels, x.compose_project, x.compose_service,
       x.namespace, x.workload_kind, x.workload_name, x.host, x.runtime_created_at, x.started_at, x.finished_at, x.exit_code, x.restart_count,
       x.first_seen_at, x.last_seen_at, x.removed_at
     FROM jsonb_to_recordset(?::jsonb) AS x(external_id text, name text, image text, image_digest text, state text, health text, state_at timestamptz,
       labels jsonb, compose_project text, compose_service text, namespace text, workload_kind text, workload_name text, host text,
       runtime_created_at timestamptz, started_at timestamptz, finished_at timestamptz, exit_code int, restart_count int, first_seen_at timestamptz,
       last_seen_at timestamptz, removed_at timestamptz)
     ON CONFLICT (tenant_id, source, external_id) DO UPDATE SET name = excluded.name, image = excluded.image, image_digest = excluded.image_digest,
       state = excluded.state, health = excluded.health, state_at = excluded.state_at, labels = excluded.labels,
       compose_project = excluded.compose_project, compose_service = excluded.compose_service, namespace = excluded.namespace,
       workload_kind = excluded.workload_kind, workload_name = excluded.workload_name, host = excluded.host,
       runtime_created_at = excluded.runtime_created_at, started_at = excluded.started_at, finished_at = excluded.finished_at,
       exit_code = excluded.exit_code, restart_count = excluded.restart_count, last_seen_at = excluded.last_seen_at, removed_at = excluded.removed_at
     RETURNING c.id, c.external_id`,
          [
            tenantId,
            source,
            JSON.stringify(
              [...upserted].map((id) => {
                const r = rows.get(id) as ContainerRow;
                return {
                  ...r,
                  state_at: iso(r.state_at),
                  runtime_created_at: iso(r.runtime_created_at),
                  started_at: iso(r.started_at),
                  finished_at: iso(r.finished_at),
                  first_seen_at: iso(r.first_seen_at),
                  last_seen_at: iso(r.last_seen_at),
                  removed_at: iso(r.removed_at),
                };
              }),
            ),
          ],
        );
  for (const w of written) (rows.get(w.external_id) as ContainerRow).id = w.id;
  for (const t of transitions) t.containerId = (rows.get(t.externalId) as ContainerRow).id;

  if (transitions.length > 0) {
    await tx.query(
      `INSERT INTO container_transition (tenant_id, container_id, at, kind, from_value, to_value, exit_code, reason)
       SELECT ?, x.container_id, x.at, x.kind, x.from_value, x.to_value, x.exit_code, x.reason
       FROM jsonb_to_recordset(?::jsonb) AS x(container_id uuid, at timestamptz, kind text, from_value text, to_value text, exit_code int, reason text)`,
      [
        tenantId,
        JSON.stringify(
          transitions.map((t) => ({
            container_id: t.containerId,
            at: isoTimestamp(t.at),
            kind: t.kind,
            from_value: t.from,
            to_value: t.to,
            exit_code: t.exitCode,
            reason: t.reason,
          })),
        ),
      ],
    );
    await options.beforeEvents;
    await deps.events.publishMany(tx, eventsOf(rows, transitions));
    const started = [...new Set(transitions.filter((t) => t.kind === 'state' && t.to === 'running').map((t) => t.containerId))];
    if (started.length > 0) await detectRestartLoops(tx, deps, tenantId, started, now);
  }
  return {
    transitions: transitions.map(({ externalId: _e, ...t }) => t),
    labelsChanged: [...labelsChanged].map(([externalId, created]) => {
      const r = rows.get(externalId) as ContainerRow;
      return { id: r.id, name: r.name, labels: r.labels, removed: r.state === 'removed', created };
    }),
  };
}

export const restartAlertFingerprint = (containerId: string) => `containers:container:${containerId}:restart_loop`;

/** Containers that started `threshold` times within the window are in a restart loop: one event and one alert each, until it ends. */
async function detectRestartLoops(
  tx: Tx,
  deps: { events: EventsService; alerts: AlertsService; restart: RestartPolicy },
  tenantId: string,
  ids: string[],
  now: Date,
) {
  const looping = await tx.query<{ id: string; name: string; restarts: string; restart_count: number }>(
    `UPDATE container c SET restart_alert = true FROM (
       SELECT container_id, count(*) AS restarts FROM container_transition
       WHERE container_id = ANY(?::uuid[]) AND kind = 'state' AND to_value = 'running' AND at > ?::timestamptz - ? * interval '1 second'
       GROUP BY container_id HAVING count(*) >= ?
     ) r WHERE c.id = r.container_id AND NOT c.restart_alert
     RETURNING c.id, c.name, r.restarts, c.restart_count`,
    [ids, now.toISOString(), deps.restart.windowSeconds, deps.restart.threshold],
  );
  if (looping.length === 0) return;
  await deps.events.publishMany(
    tx,
    looping.map((l) => ({
      topic: 'container.restart_alert',
      tenantId,
      payload: {
        containerId: l.id,
        name: l.name,
        restarts: Number(l.restarts),
        windowSeconds: deps.restart.windowSeconds,
        restartCount: l.restart_count,
        at: now.toISOString(),
      },
    })),
  );
  await deps.alerts.raiseMany(
    tx,
    looping.map((l) => ({
      tenantId,
      source: 'containers',
      entityType: 'container',
      entityId: l.id,
      severity: 'warning' as const,
      title: `Container ${l.name} is in a restart loop`,
      message: `${l.name} started ${l.restarts} times within ${Math.round(deps.restart.windowSeconds / 60)} minutes`,
      fingerprint: restartAlertFingerprint(l.id),
    })),
  );
}

/** Ends restart loops that calmed down: no start within the window (or the container is gone). */
export async function endRestartLoops(tx: Tx, deps: { alerts: AlertsService; restart: RestartPolicy }, tenantId: string, now: Date): Promise<number> {
  const calm = await tx.query<{ id: string }>(
    `UPDATE container c SET restart_alert = false
     WHERE c.restart_alert AND NOT EXISTS (
       SELECT 1 FROM container_transition t WHERE t.container_id = c.id AND t.kind = 'state' AND t.to_value = 'running'
         AND t.at > ?::timestamptz - ? * interval '1 second')
     RETURNING c.id`,
    [now.toISOString(), deps.restart.windowSeconds],
  );
  if (calm.length > 0)
    await deps.alerts.resolveMany(
      tx,
      calm.map((c) => ({ tenantId, fingerprint: restartAlertFingerprint(c.id) })),
    );
  return calm.length;
}
