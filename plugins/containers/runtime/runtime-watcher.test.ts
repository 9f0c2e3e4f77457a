import t from 'tap';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import { eventually } from '../containers/containers.testkit.ts';
import { createContainersPlugin } from '../plugin.ts';
import type { RuntimeAdapter, RuntimeContainer, RuntimeEvent } from './runtime-adapter.ts';
import { describedContainer } from './runtime-container.testkit.ts';

const described = (id: string) => describedContainer(id, { name: `app-${id}`, startedAt: new Date('2026-01-01T00:00:00Z') });

/** A runtime whose event stream is a list given up front: the watcher reads it as fast as it can. */
function scriptedRuntime(containers: RuntimeContainer[], script: RuntimeEvent[]): RuntimeAdapter {
  return {
    kind: 'docker',
    connect: async () => ({ kind: 'docker', endpoint: 'script', apiVersion: '1.47', serverVersion: 'test' }),
    list: async () => ({ containers, workloads: [], cursor: '0', at: new Date('2026-01-01T00:00:00Z') }),
    watch: async (cursor, onEvent, signal) => {
      let position = Number(cursor);
      for (; position < script.length && !signal.aborted; position++) await onEvent(script[position], String(position + 1));
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      return String(position);
    },
    logs: async () => [],
    followLogs: async () => {},
    stats: async () => null,
  };
}

t.test('batches in flight side by side apply every event once, each container in order, events in commit order', async (t) => {
  // Twelve containers in turn, three events a batch: consecutive batches name different containers,
  // so nothing but the watcher's own order keeps the newer batch's events after the older's.
  const ids = Array.from({ length: 12 }, (_, i) => `c${i}`);
  const at = (n: number) => new Date(Date.parse('2026-01-01T01:00:00Z') + n * 1000);
  const script: RuntimeEvent[] = [];
  for (let n = 0; n < 120; n++) {
    script.push({ kind: 'state', externalId: ids[n % 12], state: Math.floor(n / 12) % 2 === 0 ? 'exited' : 'running', at: at(n), exitCode: null });
    // A container that appears mid-stream and is stopped by the very next event, which lands in
    // the next batch: that batch must see the row the one before it created.
    if (n === 64) script.push({ kind: 'changed', externalId: 'e', at: at(n), container: described('e') });
    if (n === 64) script.push({ kind: 'state', externalId: 'e', state: 'exited', at: at(n + 0.5), exitCode: 0 });
  }
  const { kernel } = await startWorld(t, {
    plugins: [
      createContainersPlugin({
        runtime: {
          adapter: scriptedRuntime(
            ids.map((id) => described(id)),
            script,
          ),
          tenantId: 'acme',
          endpoint: 'script',
        },
        watchTickMs: 20,
        // Batches of three events (41 of them) with two in flight at once.
        watchRound: { roundMs: 5_000, batchSize: 3, batchDelayMs: 5 },
        deadlineIntervalMs: 3_600_000,
        checkTickMs: 3_600_000,
        resourceIntervalMs: 3_600_000,
      }),
    ],
    env: { ITOPS_CONTAINERS_RESTART_THRESHOLD: '100' },
  });
  const db = kernel.database.platform;
  const caughtUp = await eventually(
    async () => Number((await db.query<{ cursor: string }>('SELECT cursor FROM container_runtime_state'))[0]?.cursor) === script.length || undefined,
  );
  t.ok(caughtUp, 'the cursor reached the last event');

  const transitions = await db.query<{ external_id: string; to_value: string; at: Date }>(
    `SELECT c.external_id, t.to_value, t.at FROM container_transition t JOIN container c ON c.id = t.container_id
     WHERE t.at >= '2026-01-01T01:00:00Z' ORDER BY c.external_id, t.at`,
  );
  for (const id of ids) {
    const mine = transitions.filter((r) => r.external_id === id).map((r) => r.to_value);
    t.same(
      mine,
      Array.from({ length: 10 }, (_, flip) => (flip % 2 === 0 ? 'exited' : 'running')),
      `container ${id}: every flip once, in order`,
    );
  }
  t.same(
    transitions.filter((r) => r.external_id === 'e').map((r) => r.to_value),
    ['running', 'exited'],
    'a container created by one batch is stopped by the next',
  );

  const events = await db.query<{ id: string; at: string }>(
    "SELECT id, payload->>'at' AS at FROM event_outbox WHERE topic = 'container.state_changed' AND payload->>'at' >= '2026-01-01T01:00:00' ORDER BY id",
  );
  t.equal(events.length, transitions.length, 'an event per transition');
  const times = events.map((e) => Date.parse(e.at));
  t.ok(
    times.every((time, i) => i === 0 || time >= times[i - 1]),
    'event ids follow the stream, so a client resuming after an id misses nothing',
  );
});
