import { getEventListeners } from 'node:events';
import t from 'tap';
import { eventually } from '../../../core/testing/eventually.ts';
import { runAgent } from './container-agent.ts';
import { startDockerEngine } from './docker-engine.testkit.ts';

t.test('an agent that runs many intervals keeps a bounded number of listeners, and stops at once when aborted', async (t) => {
  const host = await startDockerEngine(t);
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const lines: string[] = [];
  // Nothing listens on port 9: each push fails at once, and the agent goes on to its next interval.
  const running = runAgent(
    { serverUrl: 'http://127.0.0.1:9', apiKey: 'key', nodeId: 'n1', dockerHost: host.host, intervalMs: 5, log: (m) => lines.push(m) },
    abort.signal,
  );
  await eventually(() => (lines.filter((line) => line.startsWith('push failed')).length >= 25 ? true : undefined));
  t.ok(getEventListeners(abort.signal, 'abort').length <= 3, `${getEventListeners(abort.signal, 'abort').length} listeners on the signal after 25 intervals`);
  abort.abort();
  await running;
  t.equal(getEventListeners(abort.signal, 'abort').length, 0, 'none left once stopped');
});

t.test('a stopped agent leaves no timer running: a long interval does not hold its process', async (t) => {
  const host = await startDockerEngine(t);
  const abort = new AbortController();
  const lines: string[] = [];
  const before = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const running = runAgent(
    { serverUrl: 'http://127.0.0.1:9', apiKey: 'key', nodeId: 'n1', dockerHost: host.host, intervalMs: 3_600_000, log: (m) => lines.push(m) },
    abort.signal,
  );
  await eventually(() => (lines.some((line) => line.startsWith('push failed')) ? true : undefined));
  abort.abort();
  await running;
  const after = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  t.ok(after <= before, `timers before the agent: ${before}, after it stopped: ${after}`);
});
