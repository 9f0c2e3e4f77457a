import type { Schedule } from './heartbeat-schedule.ts';
import type { HeartbeatRules, HeartbeatState, HeartbeatStatus, OpenRun } from './ping-semantics.ts';

/** A `heartbeat` row as PostgreSQL returns it. */
export interface HeartbeatRow {
  id: string;
  tenant_id: string;
  ping_uuid: string;
  name: string;
  description: string | null;
  tags: string[];
  kind: 'period' | 'cron';
  period_seconds: number | null;
  cron: string | null;
  timezone: string;
  grace_seconds: number;
  start_grace_seconds: number | null;
  status: HeartbeatStatus;
  status_reason: string | null;
  status_changed_at: Date;
  last_ping_at: Date | null;
  last_ping_kind: 'success' | 'fail' | null;
  open_runs: OpenRun[];
  last_duration_ms: string | number | null;
  last_exit_code: number | null;
  ping_count: string | number;
  expected_at: Date | null;
  down_at: Date | null;
  due_at: Date | null;
  last_event_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type Sql = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

const date = (value: Date | string | null) => (value === null ? null : new Date(value));
const num = (value: string | number | null) => (value === null ? null : Number(value));

export function scheduleOf(row: Pick<HeartbeatRow, 'kind' | 'period_seconds' | 'cron' | 'timezone'>): Schedule {
  return row.kind === 'cron'
    ? { kind: 'cron', cron: row.cron as string, timezone: row.timezone }
    : { kind: 'period', periodSeconds: row.period_seconds as number };
}

export function rulesOf(row: HeartbeatRow): HeartbeatRules {
  return { schedule: scheduleOf(row), graceSeconds: row.grace_seconds, startGraceSeconds: row.start_grace_seconds };
}

export function stateOf(row: HeartbeatRow): HeartbeatState {
  return {
    status: row.status,
    statusReason: row.status_reason,
    lastPingAt: date(row.last_ping_at),
    lastPingKind: row.last_ping_kind,
    openRuns: row.open_runs ?? [],
    lastDurationMs: num(row.last_duration_ms),
    lastExitCode: row.last_exit_code,
    pingCount: Number(row.ping_count),
    expectedAt: date(row.expected_at),
    downAt: date(row.down_at),
    dueAt: date(row.due_at),
  };
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** The API's view of a heartbeat; `absoluteUrl` makes its ping URL absolute. */
export function heartbeatView(row: HeartbeatRow, absoluteUrl: (path: string) => string) {
  const runs = [...(row.open_runs ?? [])].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    uuid: row.ping_uuid,
    tags: row.tags ?? [],
    pingUrl: absoluteUrl(`/ping/${row.ping_uuid}`),
    kind: row.kind,
    periodSeconds: row.period_seconds,
    cron: row.cron,
    timezone: row.timezone,
    graceSeconds: row.grace_seconds,
    startGraceSeconds: row.start_grace_seconds,
    status: row.status,
    statusReason: row.status_reason,
    statusChangedAt: iso(row.status_changed_at),
    running: runs.length > 0,
    openRuns: runs.map((r) => ({ rid: r.rid, startedAt: r.at })),
    lastPingAt: iso(row.last_ping_at),
    lastPingKind: row.last_ping_kind,
    lastStartAt: runs.length > 0 ? runs[runs.length - 1].at : null,
    lastDurationMs: num(row.last_duration_ms),
    lastExitCode: row.last_exit_code,
    pingCount: Number(row.ping_count),
    nextDeadlineAt: iso(row.expected_at),
    downAt: iso(row.down_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** Writes the state columns of a heartbeat (the caller holds its row lock, or owns a fresh row). */
export function stateColumns(state: HeartbeatState) {
  return {
    status: state.status,
    status_reason: state.statusReason,
    last_ping_at: iso(state.lastPingAt),
    last_ping_kind: state.lastPingKind,
    open_runs: state.openRuns,
    last_duration_ms: state.lastDurationMs,
    last_exit_code: state.lastExitCode,
    ping_count: state.pingCount,
    expected_at: iso(state.expectedAt),
    down_at: iso(state.downAt),
    due_at: iso(state.dueAt),
  };
}
