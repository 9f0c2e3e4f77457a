import t from 'tap';
import { applyCheck, type EndpointState } from './endpoint-state.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 2, 10, 12, minute));
const fail = { ok: false, error: 'status 503, expected 200-299' };
const pass = { ok: true, error: null };

t.test('failures count toward the threshold; reaching it takes the endpoint down from the first failure', async (t) => {
  let state: EndpointState = { status: 'up', consecutiveFailures: 0, failingSince: null };
  let step = applyCheck(state, fail, 3, at(1));
  t.same(step, { state: { status: 'up', consecutiveFailures: 1, failingSince: at(1) }, flip: null, event: null });
  state = applyCheck(step.state, fail, 3, at(2)).state;
  step = applyCheck(state, fail, 3, at(3));
  t.same(step.state, { status: 'down', consecutiveFailures: 3, failingSince: at(1) });
  t.same(step.flip, { from: 'up', to: 'down', at: at(1), reason: 'status 503, expected 200-299' });
  t.equal(step.event, 'alert');
  const again = applyCheck(step.state, fail, 3, at(4));
  t.same(again, { state: { status: 'down', consecutiveFailures: 4, failingSince: at(1) }, flip: null, event: null }, 'one alert per outage');
  const back = applyCheck(again.state, pass, 3, at(5));
  t.same(back, {
    state: { status: 'up', consecutiveFailures: 0, failingSince: null },
    flip: { from: 'down', to: 'up', at: at(5), reason: null },
    event: 'recovery',
  });
});

t.test('a success between failures starts the count again', async (t) => {
  let state: EndpointState = { status: 'up', consecutiveFailures: 0, failingSince: null };
  state = applyCheck(state, fail, 2, at(1)).state;
  state = applyCheck(state, pass, 2, at(2)).state;
  const step = applyCheck(state, fail, 2, at(3));
  t.same(step.state, { status: 'up', consecutiveFailures: 1, failingSince: at(3) });
  t.equal(step.event, null);
});

t.test('a pending endpoint becomes up on its first success (no recovery) or down at the threshold', async (t) => {
  const pending: EndpointState = { status: 'pending', consecutiveFailures: 0, failingSince: null };
  t.same(applyCheck(pending, pass, 3, at(1)), {
    state: { status: 'up', consecutiveFailures: 0, failingSince: null },
    flip: { from: 'pending', to: 'up', at: at(1), reason: null },
    event: null,
  });
  const down = applyCheck(pending, fail, 1, at(1));
  t.match(down, { state: { status: 'down' }, flip: { from: 'pending', to: 'down' }, event: 'alert' });
});
