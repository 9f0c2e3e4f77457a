import { randomUUID } from 'node:crypto';
import { AppError, type AlertsService, type DatabaseService, type EventsService, type OperationRequest } from '../../../core/plugin-api/index.ts';
import { alertHeartbeatChange, heartbeatAlertFingerprint } from './heartbeat-alerts.ts';
import { type HeartbeatListQuery, heartbeatReads } from './heartbeat-reads.ts';
import { type HeartbeatRow, rulesOf, type Sql, stateColumns, stateOf } from './heartbeat-rows.ts';
import { checkCron, isTimeZone, type Problem } from './heartbeat-schedule.ts';
import { dailyUptime } from './heartbeat-uptime.ts';
import { deadlines, type HeartbeatStatus } from './ping-semantics.ts';
import type { HeartbeatUpdate } from '../contract.types.ts';

/** What a create or an update gives (a create's fields are an update's, with a name). */
type HeartbeatInput = HeartbeatUpdate;

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

const defaults = { periodSeconds: 86_400, graceSeconds: 3600, timezone: 'UTC' };

function invalid(problems: Problem[]): never {
  throw new AppError('validation_failed', 'The request does not match the contract', { details: problems });
}

/** The columns a create or update writes, checked beyond what the contract's schema can say. */
function configColumns(current: HeartbeatRow | undefined, body: HeartbeatInput) {
  if (body.periodSeconds !== undefined && body.cron !== undefined) {
    invalid([{ path: '/body', message: 'give either periodSeconds or cron, not both' }]);
  }
  const cron = body.cron !== undefined ? body.cron.trim() : body.periodSeconds !== undefined ? null : (current?.cron ?? null);
  const kind: 'period' | 'cron' = cron !== null ? 'cron' : 'period';
  const timezone = body.timezone ?? current?.timezone ?? defaults.timezone;
  const problems: Problem[] = [];
  if (kind === 'cron') problems.push(...checkCron(cron as string, timezone));
  else if (!isTimeZone(timezone)) problems.push({ path: '/body/timezone', message: 'must be an IANA time zone name, e.g. Europe/Berlin' });
  if (problems.length > 0) invalid(problems);
  return {
    name: (body.name ?? current?.name ?? '').trim(),
    description: body.description === undefined ? (current?.description ?? null) : body.description,
    tags: body.tags ?? current?.tags ?? [],
    kind,
    period_seconds: kind === 'period' ? (body.periodSeconds ?? current?.period_seconds ?? defaults.periodSeconds) : null,
    cron,
    timezone,
    grace_seconds: body.graceSeconds ?? current?.grace_seconds ?? defaults.graceSeconds,
    start_grace_seconds: body.startGraceSeconds === undefined ? (current?.start_grace_seconds ?? null) : body.startGraceSeconds,
  };
}

/** A lifecycle event of a heartbeat, published in the transaction of the change it reports. */
type LifecycleEvent = { topic: 'heartbeat.paused' | 'heartbeat.resumed'; payload: Record<string, unknown> };

/**
 * Heartbeat CRUD, pause and resume, executions, pings and daily uptime (tenant-scoped raw SQL).
 * Pause, resume and delete publish `heartbeat.paused`, `heartbeat.resumed` and `heartbeat.deleted`
 * in the transaction of the change (the status page and subscribers follow them). Create and
 * update publish nothing: a new heartbeat is `new` (what the status page shows for a monitor it has
 * no event of), and an update only moves a late heartbeat back to up, a status no event announced.
 */
export function heartbeatHandlers(deps: {
  database: DatabaseService;
  events: EventsService;
  alerts: AlertsService;
  clock: () => Date;
  absoluteUrl: (path: string) => string;
  /** Called after a change of status (the deadline sweep looks at the new deadlines sooner). */
  onStatusChange: () => void;
}) {
  const { database, clock } = deps;
  const reads = heartbeatReads({ database, clock, absoluteUrl: deps.absoluteUrl });
  const { view } = reads;

  const owned = async (sql: Sql, id: string, lock = false) => {
    const [row] = await sql<HeartbeatRow>(`SELECT * FROM heartbeat WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!row) throw new AppError('not_found', `Heartbeat ${id} was not found`);
    return row;
  };

  /** Locks the heartbeat, lets `change` compute its new row, writes it, its flip and its event (if any). */
  const transition = async (
    req: OperationRequest<unknown, { id: string }>,
    change: (row: HeartbeatRow, now: Date) => { row: HeartbeatRow; reason?: string | null; event?: LifecycleEvent } | null,
  ) => {
    const result = await database.forTenant(req.tenantId as string).transaction(async (tx) => {
      const sql = tx.query;
      const current = await owned(sql, req.params.id, true);
      const now = clock();
      const changed = change(current, now);
      if (!changed) return { row: current, flipped: false };
      const next = changed.row;
      const flipped = next.status !== current.status;
      const [row] = await sql<HeartbeatRow>(
        `UPDATE heartbeat SET name = ?, description = ?, tags = ?, kind = ?, period_seconds = ?, cron = ?, timezone = ?, grace_seconds = ?, start_grace_seconds = ?,
           status = ?, status_reason = ?, status_changed_at = ?, open_runs = ?::jsonb, expected_at = ?, down_at = ?, due_at = ?, updated_at = ?
         WHERE id = ? RETURNING *`,
        [
          next.name,
          next.description,
          next.tags,
          next.kind,
          next.period_seconds,
          next.cron,
          next.timezone,
          next.grace_seconds,
          next.start_grace_seconds,
          next.status,
          next.status_reason,
          flipped ? now.toISOString() : iso(current.status_changed_at),
          JSON.stringify(next.open_runs ?? []),
          iso(next.expected_at),
          iso(next.down_at),
          iso(next.due_at),
          now.toISOString(),
          current.id,
        ],
      );
      if (flipped) {
        await sql('INSERT INTO heartbeat_flip (tenant_id, heartbeat_id, at, from_status, to_status, reason) VALUES (?, ?, ?, ?, ?, ?)', [
          current.tenant_id,
          current.id,
          now.toISOString(),
          current.status,
          next.status,
          changed.reason ?? null,
        ]);
      }
      if (changed.event) await deps.events.publish(tx, { topic: changed.event.topic, tenantId: current.tenant_id, payload: changed.event.payload });
      // Pausing a down heartbeat resolves its alert with the pause.
      await alertHeartbeatChange(tx, deps.alerts, {
        tenantId: current.tenant_id,
        id: current.id,
        name: next.name,
        from: current.status,
        to: next.status,
        reason: next.status_reason,
      });
      return { row, flipped };
    });
    if (result.flipped) deps.onStatusChange();
    return view(result.row);
  };

  /** A row with new configuration and the deadlines (and late/up status) that follow from it. */
  const reconfigured = (current: HeartbeatRow, columns: ReturnType<typeof configColumns>, now: Date): HeartbeatRow => {
    const row = { ...current, ...columns };
    const state = stateOf(row);
    // A late heartbeat whose new deadline lies ahead is up again; an up one whose deadline passed is
    // moved to late by the next evaluation.
    if (state.status === 'late') {
      const ahead = deadlines(rulesOf(row), { ...state, status: 'up' });
      if (ahead.expectedAt && ahead.expectedAt.getTime() > now.getTime()) state.status = 'up';
    }
    const next = { ...state, ...deadlines(rulesOf(row), state) };
    const written = stateColumns(next);
    return {
      ...row,
      status: next.status,
      status_reason: next.status === 'up' ? null : row.status_reason,
      expected_at: next.expectedAt,
      down_at: next.downAt,
      due_at: next.dueAt,
      open_runs: written.open_runs,
    };
  };

  return {
    listHeartbeats(req: OperationRequest<unknown, Record<string, string>, HeartbeatListQuery>) {
      return reads.list(req.tenantId as string, req.query);
    },

    async createHeartbeat(req: OperationRequest<HeartbeatInput>) {
      const columns = configColumns(undefined, req.body);
      const [row] = await database.forTenant(req.tenantId as string).query<HeartbeatRow>(
        `INSERT INTO heartbeat (id, tenant_id, ping_uuid, name, description, tags, kind, period_seconds, cron, timezone, grace_seconds, start_grace_seconds, status,
           status_changed_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?) RETURNING *`,
        [
          randomUUID(),
          req.tenantId,
          randomUUID(),
          columns.name,
          columns.description,
          columns.tags,
          columns.kind,
          columns.period_seconds,
          columns.cron,
          columns.timezone,
          columns.grace_seconds,
          columns.start_grace_seconds,
          ...Array(3).fill(clock().toISOString()),
        ],
      );
      return { status: 201, body: view(row) };
    },

    async getHeartbeat(req: OperationRequest<unknown, { id: string }>) {
      return view(await owned(database.forTenant(req.tenantId as string).query, req.params.id));
    },

    updateHeartbeat(req: OperationRequest<HeartbeatInput, { id: string }>) {
      return transition(req, (current, now) => ({ row: reconfigured(current, configColumns(current, req.body), now), reason: null }));
    },

    async deleteHeartbeat(req: OperationRequest<unknown, { id: string }>) {
      await database.forTenant(req.tenantId as string).transaction(async (tx) => {
        const [deleted] = await tx.query<{ id: string; name: string; status: HeartbeatStatus }>(
          'DELETE FROM heartbeat WHERE id = ? RETURNING id, name, status',
          [req.params.id],
        );
        if (!deleted) throw new AppError('not_found', `Heartbeat ${req.params.id} was not found`);
        await deps.events.publish(tx, {
          topic: 'heartbeat.deleted',
          tenantId: req.tenantId as string,
          payload: { heartbeatId: deleted.id, name: deleted.name, previousStatus: deleted.status, at: clock().toISOString() },
        });
        // A down heartbeat's alert fires as long as it is down: resolve it with the deletion.
        if (deleted.status === 'down') {
          await deps.alerts.resolve(tx, { tenantId: req.tenantId as string, fingerprint: heartbeatAlertFingerprint(deleted.id) });
        }
      });
      return { status: 204 };
    },

    pauseHeartbeat(req: OperationRequest<unknown, { id: string }>) {
      const who = req.principal?.name ?? req.principal?.id ?? 'unknown';
      return transition(req, (current, now) =>
        current.status === 'paused'
          ? null
          : {
              row: { ...current, status: 'paused', status_reason: `Paused by ${who}`, open_runs: [], expected_at: null, down_at: null, due_at: null },
              reason: `Paused by ${who}`,
              event: {
                topic: 'heartbeat.paused',
                payload: { heartbeatId: current.id, name: current.name, status: 'paused', previousStatus: current.status, at: now.toISOString() },
              },
            },
      );
    },

    resumeHeartbeat(req: OperationRequest<unknown, { id: string }>) {
      return transition(req, (current, now) => {
        if (current.status !== 'paused') throw new AppError('conflict', `Heartbeat ${current.id} is not paused`);
        return {
          row: { ...current, status: 'new', status_reason: null, open_runs: [], expected_at: null, down_at: null, due_at: null },
          reason: 'Resumed',
          event: {
            topic: 'heartbeat.resumed',
            payload: { heartbeatId: current.id, name: current.name, status: 'new', previousStatus: 'paused', at: now.toISOString() },
          },
        };
      });
    },

    async listHeartbeatPings(req: OperationRequest<unknown, { id: string }, Record<string, unknown> & { kind?: string }>) {
      const tenantId = req.tenantId as string;
      return reads.pings(tenantId, await owned(database.forTenant(tenantId).query, req.params.id), req.query);
    },

    async listHeartbeatFlips(req: OperationRequest<unknown, { id: string }, Record<string, unknown> & { to?: string }>) {
      const tenantId = req.tenantId as string;
      return reads.flips(tenantId, await owned(database.forTenant(tenantId).query, req.params.id), req.query);
    },

    async listHeartbeatExecutions(req: OperationRequest<unknown, { id: string }>) {
      return reads.executions(await owned(database.forTenant(req.tenantId as string).query, req.params.id), req.query);
    },

    async getHeartbeatDailyUptime(req: OperationRequest<unknown, { id: string }, { days?: number; timezone?: string }>) {
      const db = database.forTenant(req.tenantId as string);
      const heartbeat = await owned(db.query, req.params.id);
      const timeZone = req.query.timezone ?? heartbeat.timezone;
      if (!isTimeZone(timeZone)) invalid([{ path: '/query/timezone', message: 'must be an IANA time zone name, e.g. Europe/Berlin' }]);
      const days = req.query.days ?? 30;
      const now = clock();
      // Fetch from a day before the first calendar day, whatever the zone's offset.
      const since = new Date(now.getTime() - (days + 1) * 86_400_000);
      const flips = await db.query<{ at: Date; from_status: string; to_status: string }>(
        'SELECT at, from_status, to_status FROM heartbeat_flip WHERE heartbeat_id = ? AND at >= ? ORDER BY at, id',
        [heartbeat.id, since.toISOString()],
      );
      const [before] = await db.query<{ to_status: string }>(
        'SELECT to_status FROM heartbeat_flip WHERE heartbeat_id = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1',
        [heartbeat.id, since.toISOString()],
      );
      const data = dailyUptime({
        flips: flips.map((f) => ({ at: new Date(f.at), to: f.to_status })),
        statusBefore: before?.to_status ?? (flips[0]?.from_status as string | undefined) ?? heartbeat.status,
        createdAt: new Date(heartbeat.created_at),
        now,
        days,
        timeZone,
      });
      return { heartbeatId: heartbeat.id, timezone: timeZone, data };
    },
  };
}
