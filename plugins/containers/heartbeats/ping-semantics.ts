import { expectedAfter, type Schedule } from './heartbeat-schedule.ts';

/**
 * What one ping does to a heartbeat: the Healthchecks ping API's rules as a pure function, so the
 * group commit can apply a batch of pings in order in memory and write the outcome at once.
 *
 * - success (`/ping/{uuid}`, exit code 0): last ping = now, status up (un-pauses). A run is open and
 *   its start rid matches (two absent rids match too): its duration is recorded and the run closes.
 *   A ping without rid closes every open run (the one without rid with a duration, the others
 *   without); a ping whose rid matches no open run leaves the runs open.
 * - fail (`/fail`, exit code 1..255): as success, but the status goes down at once; the exit code is
 *   kept, and every open run closes whatever its rid (the failure ends the job).
 * - start: opens a run (replacing an open run of the same rid); changes neither last ping nor status
 *   (a paused heartbeat stays paused).
 * - log: recorded, changes nothing.
 *
 * Deadlines: the schedule expects the next ping `expectedAt` (period after the last ping, or the
 * next cron time); the heartbeat is late from then and down `grace` later. An open run must finish
 * within `startGrace` (default: grace) of its start, else the heartbeat goes down then. New and
 * paused heartbeats never time out on the schedule; a new or paused heartbeat with an open run
 * times out on the run (a first run that never finishes is what start grace is for), as in Healthchecks.
 */
export type HeartbeatStatus = 'new' | 'up' | 'late' | 'down' | 'paused';
export type PingKind = 'success' | 'fail' | 'start' | 'log';

export interface OpenRun {
  rid: string | null;
  /** ISO time the run started. */
  at: string;
  /** The start ping's id. */
  pingId: string;
}

export interface HeartbeatRules {
  schedule: Schedule;
  graceSeconds: number;
  /** Null: the grace applies to runs too. */
  startGraceSeconds: number | null;
}

export interface HeartbeatState {
  status: HeartbeatStatus;
  statusReason: string | null;
  lastPingAt: Date | null;
  /** Kind of the last success or fail ping. */
  lastPingKind: 'success' | 'fail' | null;
  openRuns: OpenRun[];
  lastDurationMs: number | null;
  lastExitCode: number | null;
  pingCount: number;
  expectedAt: Date | null;
  downAt: Date | null;
  dueAt: Date | null;
}

export interface PingInput {
  id: string;
  kind: PingKind;
  exitCode: number | null;
  rid: string | null;
  at: Date;
}

export interface PingOutcome {
  state: HeartbeatState;
  durationMs: number | null;
  startPingId: string | null;
  /** Set when the status changed. */
  flip: { from: HeartbeatStatus; to: HeartbeatStatus; reason: string | null } | null;
}

/** Runs older than this are not paired with a completion any more (as Healthchecks does). */
export const maxRunMs = 72 * 3600 * 1000;
/** Open runs kept per heartbeat (overlapping runs with distinct rids); the oldest go first. */
export const maxOpenRuns = 20;

const never = Number.POSITIVE_INFINITY;

/** The deadlines that follow from a state; `known` lets a cron deadline be reused (see expectedAfter). */
export function deadlines(rules: HeartbeatRules, state: HeartbeatState, known?: { from: Date; expected: Date }) {
  const scheduled = (state.status === 'up' || state.status === 'late') && state.lastPingAt !== null;
  const expectedAt = scheduled ? expectedAfter(rules.schedule, state.lastPingAt as Date, known) : null;
  let down = expectedAt ? expectedAt.getTime() + rules.graceSeconds * 1000 : never;
  // Paused too: a start on a paused heartbeat is a job that should finish (as in Healthchecks).
  if (state.status !== 'down' && state.openRuns.length > 0) {
    const firstStart = Math.min(...state.openRuns.map((r) => Date.parse(r.at)));
    down = Math.min(down, firstStart + (rules.startGraceSeconds ?? rules.graceSeconds) * 1000);
  }
  const late = state.status === 'up' && expectedAt ? expectedAt.getTime() : never;
  const due = Math.min(late, down);
  const at = (ms: number) => (Number.isFinite(ms) && ms < 8.64e15 ? new Date(ms) : null);
  return { expectedAt: expectedAt && at(expectedAt.getTime()), downAt: at(down), dueAt: at(due) };
}

/** Why a heartbeat is down, for alerts and the API. */
export function downReason(rules: HeartbeatRules, state: HeartbeatState, now: Date): string {
  const runLimit = (rules.startGraceSeconds ?? rules.graceSeconds) * 1000;
  const overdue = state.openRuns.find((r) => Date.parse(r.at) + runLimit <= now.getTime());
  if (overdue) return `A run started at ${overdue.at}${overdue.rid ? ` (rid ${overdue.rid})` : ''} did not finish within ${runLimit / 1000} s`;
  const last = state.lastPingAt ? `the last ping was at ${state.lastPingAt.toISOString()}` : 'no ping arrived';
  return `No ping by ${state.expectedAt?.toISOString() ?? 'the deadline'} plus ${rules.graceSeconds} s of grace; ${last}`;
}

export function applyPing(rules: HeartbeatRules, state: HeartbeatState, ping: PingInput): PingOutcome {
  const now = ping.at.getTime();
  const fresh = state.openRuns.filter((r) => now - Date.parse(r.at) < maxRunMs);
  const next: HeartbeatState = { ...state, pingCount: state.pingCount + 1, openRuns: fresh };
  let durationMs: number | null = null;
  let startPingId: string | null = null;
  let flip: PingOutcome['flip'] = null;
  const known = state.expectedAt && state.lastPingAt ? { from: state.lastPingAt, expected: state.expectedAt } : undefined;

  if (ping.kind === 'start') {
    const runs = fresh.filter((r) => r.rid !== ping.rid);
    runs.push({ rid: ping.rid, at: ping.at.toISOString(), pingId: ping.id });
    next.openRuns = runs.slice(-maxOpenRuns);
  } else if (ping.kind === 'success' || ping.kind === 'fail') {
    const matching = fresh.find((r) => r.rid === ping.rid);
    if (matching) {
      durationMs = now - Date.parse(matching.at);
      startPingId = matching.pingId;
    }
    // No rid, or a failure: the job is over, whatever runs ends with it (a failed job leaves no
    // phantom "running" run behind); a success with a rid: only its own run.
    next.openRuns = ping.rid === null || ping.kind === 'fail' ? [] : fresh.filter((r) => r !== matching);
    next.lastPingAt = ping.at;
    next.lastPingKind = ping.kind;
    next.lastDurationMs = durationMs;
    next.lastExitCode = ping.exitCode;
    const status: HeartbeatStatus = ping.kind === 'fail' ? 'down' : 'up';
    const reason = ping.kind === 'fail' ? (ping.exitCode ? `Failure ping with exit code ${ping.exitCode}` : 'Failure ping') : null;
    if (status !== state.status) flip = { from: state.status, to: status, reason };
    next.status = status;
    next.statusReason = reason;
  }
  Object.assign(next, deadlines(rules, next, known));
  return { state: next, durationMs, startPingId, flip };
}
