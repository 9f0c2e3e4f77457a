import t from 'tap';
import { applyPing, type HeartbeatRules, type HeartbeatState, type PingInput, type PingKind } from './ping-semantics.ts';

const rules: HeartbeatRules = { schedule: { kind: 'period', periodSeconds: 3600 }, graceSeconds: 300, startGraceSeconds: null };
const t0 = Date.parse('2025-06-01T12:00:00Z');
const fresh = (status: HeartbeatState['status'] = 'new'): HeartbeatState => ({
  status,
  statusReason: null,
  lastPingAt: null,
  lastPingKind: null,
  openRuns: [],
  lastDurationMs: null,
  lastExitCode: null,
  pingCount: 0,
  expectedAt: null,
  downAt: null,
  dueAt: null,
});

let n = 0;
const ping = (kind: PingKind, seconds: number, extra: Partial<PingInput> = {}): PingInput => ({
  id: `p${++n}`,
  kind,
  exitCode: null,
  rid: null,
  at: new Date(t0 + seconds * 1000),
  ...extra,
});

/** Applies pings in order; returns the final state and each outcome. */
function run(pings: PingInput[], state = fresh(), r = rules) {
  const outcomes = [];
  for (const p of pings) {
    const outcome = applyPing(r, state, p);
    outcomes.push(outcome);
    state = outcome.state;
  }
  return { state, outcomes };
}

const iso = (seconds: number) => new Date(t0 + seconds * 1000).toISOString();

t.test('success: up, last ping now, late after the period, down after the grace', async (t) => {
  const { state, outcomes } = run([ping('success', 0)]);
  t.match(state, { status: 'up', lastPingKind: 'success', pingCount: 1, lastDurationMs: null });
  t.equal(state.lastPingAt?.toISOString(), iso(0));
  t.equal(state.expectedAt?.toISOString(), iso(3600));
  t.equal(state.downAt?.toISOString(), iso(3900));
  t.equal(state.dueAt?.toISOString(), iso(3600), 'the evaluator looks again when it goes late');
  t.same(outcomes[0].flip, { from: 'new', to: 'up', reason: null });
  t.equal(run([ping('success', 10)], state).outcomes[0].flip, null, 'no status change, no flip');
});

t.test('start then success without rids: the run closes with its duration', async (t) => {
  const { state, outcomes } = run([ping('success', 0), ping('start', 100), ping('success', 160)]);
  t.equal(outcomes[1].state.openRuns.length, 1);
  t.equal(outcomes[1].state.lastPingAt?.toISOString(), iso(0), 'start does not change the last ping');
  t.equal(outcomes[1].state.status, 'up', 'nor the status');
  t.equal(outcomes[2].durationMs, 60_000);
  t.equal(outcomes[2].startPingId, outcomes[1].state.openRuns[0].pingId);
  t.same(state.openRuns, []);
  t.equal(state.lastDurationMs, 60_000);
});

t.test('start and success with the same rid pair up', async (t) => {
  const rid = 'aaaaaaaa-0000-4000-8000-000000000001';
  const { state, outcomes } = run([ping('start', 0, { rid }), ping('success', 30, { rid })]);
  t.equal(outcomes[1].durationMs, 30_000);
  t.same(state.openRuns, []);
});

t.test('a success without rid closes a run with a rid, without a duration', async (t) => {
  const { state, outcomes } = run([ping('start', 0, { rid: 'aaaaaaaa-0000-4000-8000-000000000001' }), ping('success', 30)]);
  t.equal(outcomes[1].durationMs, null);
  t.equal(outcomes[1].startPingId, null);
  t.same(state.openRuns, []);
  t.equal(state.status, 'up');
});

t.test('a success whose rid matches no open run leaves the runs open', async (t) => {
  const { state, outcomes } = run([
    ping('start', 0, { rid: 'aaaaaaaa-0000-4000-8000-000000000001' }),
    ping('success', 30, { rid: 'bbbbbbbb-0000-4000-8000-000000000002' }),
  ]);
  t.equal(outcomes[1].durationMs, null);
  t.equal(state.openRuns.length, 1);
  t.equal(state.status, 'up', 'it still counts as a success ping');
  t.equal(state.downAt?.toISOString(), iso(300), 'the open run still times out after the grace');
});

t.test('overlapping runs with distinct rids each get their own duration', async (t) => {
  const a = 'aaaaaaaa-0000-4000-8000-000000000001';
  const b = 'bbbbbbbb-0000-4000-8000-000000000002';
  const { state, outcomes } = run([ping('start', 0, { rid: a }), ping('start', 10, { rid: b }), ping('success', 50, { rid: a }), ping('fail', 70, { rid: b })]);
  t.equal(outcomes[1].state.openRuns.length, 2);
  t.equal(outcomes[2].durationMs, 50_000, 'run a: 50 s');
  t.same(
    outcomes[2].state.openRuns.map((r) => r.rid),
    [b],
    'b stays open',
  );
  t.equal(outcomes[3].durationMs, 60_000, 'run b: 60 s');
  t.same(state.openRuns, []);
  t.equal(state.status, 'down');
});

t.test('a second start without rid restarts the run', async (t) => {
  const { state, outcomes } = run([ping('start', 0), ping('start', 20), ping('success', 50)]);
  t.equal(outcomes[1].state.openRuns.length, 1);
  t.equal(outcomes[2].durationMs, 30_000);
  t.same(state.openRuns, []);
});

t.test('fail: down at once, the run closes, the exit code is kept', async (t) => {
  const { state, outcomes } = run([ping('success', 0), ping('start', 10), ping('fail', 40, { exitCode: 3 })]);
  t.match(state, { status: 'down', lastExitCode: 3, lastPingKind: 'fail', statusReason: 'Failure ping with exit code 3' });
  t.equal(outcomes[2].durationMs, 30_000);
  t.same(outcomes[2].flip, { from: 'up', to: 'down', reason: 'Failure ping with exit code 3' });
  t.same(state.openRuns, []);
  t.equal(state.dueAt, null, 'a down heartbeat waits for a ping; no deadline');
  const back = run([ping('success', 50)], state);
  t.same(back.outcomes[0].flip, { from: 'down', to: 'up', reason: null });
  t.equal(back.state.lastExitCode, null);
});

t.test('log: recorded, changes nothing', async (t) => {
  const before = run([ping('success', 0)]).state;
  const { state, outcomes } = run([ping('log', 10)], before);
  t.equal(outcomes[0].flip, null);
  t.same({ ...state, pingCount: 0 }, { ...before, pingCount: 0 });
  t.equal(state.pingCount, 2);
  t.equal(run([ping('log', 0)]).state.status, 'new', 'a log does not bring a new heartbeat up');
});

t.test('paused: a success or fail ping un-pauses; start and log do not', async (t) => {
  t.match(run([ping('success', 0)], fresh('paused')).outcomes[0].flip, { from: 'paused', to: 'up' });
  t.match(run([ping('fail', 0)], fresh('paused')).state, { status: 'down' });
  const started = run([ping('start', 0)], fresh('paused')).state;
  t.equal(started.status, 'paused');
  t.equal(started.dueAt?.toISOString(), iso(300), 'a paused heartbeat times out on its open run only, not on the schedule');
  t.equal(run([ping('log', 0)], fresh('paused')).state.status, 'paused');
});

t.test('start grace: an open run goes down after the start grace, before the schedule would', async (t) => {
  const withStartGrace = { ...rules, startGraceSeconds: 120 };
  const { state } = run([ping('success', 0), ping('start', 1000)], fresh(), withStartGrace);
  t.equal(state.expectedAt?.toISOString(), iso(3600));
  t.equal(state.downAt?.toISOString(), iso(1120), 'start + 120 s');
  t.equal(state.dueAt?.toISOString(), iso(1120));
  const withoutStartGrace = run([ping('success', 0), ping('start', 1000)]).state;
  t.equal(withoutStartGrace.downAt?.toISOString(), iso(1300), 'without start grace: start + grace');
  const longStartGrace = run([ping('success', 0), ping('start', 3500)], fresh(), { ...rules, startGraceSeconds: 7200 }).state;
  t.equal(longStartGrace.downAt?.toISOString(), iso(3900), 'the schedule still bounds a long run');
});

t.test('a new heartbeat whose first run never finishes goes down; a down one does not go down again', async (t) => {
  const { state } = run([ping('start', 0)]);
  t.equal(state.status, 'new');
  t.equal(state.downAt?.toISOString(), iso(300));
  t.equal(state.expectedAt, null, 'no schedule deadline before the first ping');
  t.equal(run([ping('start', 0)], fresh('down')).state.dueAt, null);
});

t.test('runs older than 72 hours are no longer paired', async (t) => {
  const { outcomes } = run([ping('start', 0), ping('success', 73 * 3600)]);
  t.equal(outcomes[1].durationMs, null);
});

t.test('cron schedule: late at the next cron time after the last ping', async (t) => {
  const cron: HeartbeatRules = { schedule: { kind: 'cron', cron: '0 3 * * *', timezone: 'Europe/Berlin' }, graceSeconds: 600, startGraceSeconds: null };
  const { state } = run([{ id: 'x', kind: 'success', exitCode: null, rid: null, at: new Date('2025-03-29T02:00:00Z') }], fresh(), cron);
  t.equal(state.expectedAt?.toISOString(), '2025-03-30T01:00:00.000Z', '03:00 CEST, 23 hours later');
  t.equal(state.downAt?.toISOString(), '2025-03-30T01:10:00.000Z');
});

t.test('a fail with a rid ends every open run: no phantom running run remains', async (t) => {
  const a = { rid: 'a' };
  const b = { rid: 'b' };
  const { state, outcomes } = run([ping('success', 0), ping('start', 10, a), ping('start', 20, b), ping('fail', 50, b)]);
  t.same(state.openRuns, [], 'the failure closed the run of rid a too');
  t.equal(outcomes[3].durationMs, 30_000, 'its own run keeps its duration');
  const exit = run([ping('success', 0), ping('start', 10, a), ping('fail', 40, { rid: 'c', exitCode: 3 })]);
  t.same(exit.state.openRuns, [], 'an exit code other than 0 is a failure too, whatever its rid');
  const ok = run([ping('success', 0), ping('start', 10, a), ping('success', 40, b)]);
  t.equal(ok.state.openRuns.length, 1, 'a success with another rid still leaves the run open');
});

t.test('a start on a paused heartbeat goes down at start + grace; the start does not un-pause', async (t) => {
  const { state } = run([ping('start', 100)], fresh('paused'));
  t.equal(state.status, 'paused');
  t.equal(state.downAt?.toISOString(), iso(400));
  t.equal(state.dueAt?.toISOString(), iso(400));
  const started = run([ping('start', 100)], fresh('new'));
  t.equal(started.state.downAt?.toISOString(), iso(400), 'a new heartbeat likewise');
  const done = run([ping('start', 100), ping('success', 160)], fresh('paused'));
  t.match(done.state, { status: 'up', openRuns: [] }, 'a completion in time un-pauses as ever');
});
