import { readFileSync } from 'node:fs';
import t from 'tap';
import { aiopsWorld, eventually } from '../aiops.testkit.ts';

interface Inbox {
  id: string;
  scored_at: Date | null;
  inbox_services: string[] | null;
  inbox_metrics: string[] | null;
  inbox_times: Date[] | null;
  inbox_values: number[] | null;
}

const migration = (file: string) => readFileSync(new URL(`../migrations/${file}`, import.meta.url), 'utf8');
const points = (end: number) =>
  Array.from({ length: 6 }, (_, i) => ({
    service_id: i % 2 ? 'web' : 'db',
    metric_name: 'latency_ms',
    value: 10 + i,
    timestamp: new Date(end - (6 - i) * 60_000).toISOString(),
  }));

t.test('a batch brings its metric points (not its events) to the watchdog in its own row', async (t) => {
  const { kernel, ingest } = await aiopsWorld(t, { env: { ITOPS_JOBS_ENABLED: 'false' } });
  const end = Date.now() - 60_000;
  const sent = points(end);
  const answer = await ingest({ points: sent, events: [{ service_id: 'web', event_type: 'deployment', message: 'v2' }] });
  t.equal(answer.status, 202);
  const [batch] = await kernel.database.platform.query<Inbox>('SELECT * FROM aiops_ingest_batch WHERE id = ?', [answer.json.batch_id]);
  t.same(batch.inbox_services, ['db', 'web', 'db', 'web', 'db', 'web'], 'the metric points, not the event');
  t.same(
    batch.inbox_metrics,
    sent.map(() => 'latency_ms'),
  );
  t.same(
    batch.inbox_times?.map((d) => d.getTime()),
    sent.map((p) => Date.parse(p.timestamp)),
  );
  t.same(batch.inbox_values, [10, 11, 12, 13, 14, 15]);
  const [{ n }] = await kernel.database.platform.query<{ n: string }>('SELECT count(*) AS n FROM aiops_point WHERE batch_id = ?', [batch.id]);
  t.equal(Number(n), 7, 'the points and the event are stored as before');
});

t.test('scoring takes the points from the inbox and leaves it for RCA', async (t) => {
  const { kernel, ingest } = await aiopsWorld(t, { env: { ITOPS_AIOPS_WATCHDOG_INTERVAL_MS: '50' } });
  const answer = await ingest({ points: points(Date.now() - 60_000) });
  t.equal(answer.status, 202);
  const after = await eventually(async () => {
    const [row] = await kernel.database.platform.query<Inbox>('SELECT * FROM aiops_ingest_batch WHERE id = ?', [answer.json.batch_id]);
    return row.scored_at ? row : undefined;
  });
  t.same(after?.inbox_services, ['db', 'web', 'db', 'web', 'db', 'web'], 'scored, its inbox kept');
  t.same(after?.inbox_values, [10, 11, 12, 13, 14, 15]);
  const states = await kernel.database.platform.query<{ service_id: string; seen: number }>(
    'SELECT service_id, points_seen AS seen FROM aiops_series_state ORDER BY service_id',
  );
  t.same(
    states.map((s) => [s.service_id, Number(s.seen)]),
    [
      ['db', 3],
      ['web', 3],
    ],
    'each series saw its own points',
  );
});

t.test('a batch stored without an inbox (by a node of the version before it, in a rolling upgrade) is scored from the table', async (t) => {
  const { kernel, ingest } = await aiopsWorld(t, { env: { ITOPS_JOBS_ENABLED: 'false' } });
  const answer = await ingest({ points: points(Date.now() - 60_000) });
  const db = kernel.database.platform;
  await db.query('UPDATE aiops_ingest_batch SET inbox_services = NULL, inbox_metrics = NULL, inbox_times = NULL, inbox_values = NULL WHERE id = ?', [
    answer.json.batch_id,
  ]);
  const { runWatchdogRound } = await import('./watchdog-round.ts');
  const idle = { raiseMany: async () => [], resolveMany: async () => [] };
  const round = await runWatchdogRound({
    database: kernel.database,
    events: { publish: async () => '0', publishMany: async () => [] },
    alerts: idle,
    workers: { run: async (_task: string, input: unknown) => (await import('./score.worker.ts')).default(input as never) },
    threshold: 0.99,
  } as never);
  t.match(round, { batches: 1, points: 6 }, 'its six metric points were read and scored');
  const states = await db.query<{ service_id: string; seen: string }>('SELECT service_id, points_seen AS seen FROM aiops_series_state ORDER BY service_id');
  t.same(
    states.map((s) => [s.service_id, Number(s.seen)]),
    [
      ['db', 3],
      ['web', 3],
    ],
  );
});

t.test('migration 0004 fills the inbox of batches stored before it and not yet scored', async (t) => {
  const { kernel, ingest } = await aiopsWorld(t, { env: { ITOPS_JOBS_ENABLED: 'false' } });
  const sent = points(Date.now() - 60_000);
  const unscored = await ingest({ points: sent });
  const scored = await ingest({ points: sent.slice(0, 2) });
  const db = kernel.database.platform;
  // Back to the table as it was before 0004, with one batch already scored.
  await db.query(migration('0004-watchdog-inbox.down.sql'));
  await db.query('UPDATE aiops_ingest_batch SET scored_at = now() WHERE id = ?', [scored.json.batch_id]);
  await db.query(migration('0004-watchdog-inbox.sql'));
  const rows = await db.query<Inbox>('SELECT * FROM aiops_ingest_batch ORDER BY received_at');
  const byId = new Map(rows.map((r) => [r.id, r]));
  const filled = byId.get(unscored.json.batch_id) as Inbox;
  t.same(filled.inbox_services, ['db', 'db', 'db', 'web', 'web', 'web'], 'grouped by series, each in time order');
  t.same(filled.inbox_values, [10, 12, 14, 11, 13, 15]);
  t.same(
    filled.inbox_times?.map((d) => d.getTime()),
    [0, 2, 4, 1, 3, 5].map((i) => Date.parse(sent[i].timestamp)),
  );
  t.equal(byId.get(scored.json.batch_id)?.inbox_services, null, 'a scored batch has nothing to bring');
  const [{ indexes }] = await db.query<{ indexes: string }>(
    "SELECT count(*) AS indexes FROM pg_indexes WHERE tablename = 'aiops_point' AND indexname = 'aiops_point_batch'",
  );
  t.equal(Number(indexes), 0, 'and the per-point batch index is gone');
});

t.test('migration 0007 gives batches scored in the last day their inbox back and drops the points index', async (t) => {
  const { kernel, ingest } = await aiopsWorld(t, { env: { ITOPS_JOBS_ENABLED: 'false' } });
  const sent = points(Date.now() - 60_000);
  const recent = await ingest({ points: sent });
  const old = await ingest({ points: sent.slice(0, 2) });
  const db = kernel.database.platform;
  // As the version before 0007 left them: scoring emptied both inboxes; one batch is two days old.
  await db.query(migration('0007-rca-reads-inboxes.down.sql'));
  await db.query('UPDATE aiops_ingest_batch SET scored_at = now(), inbox_services = NULL, inbox_metrics = NULL, inbox_times = NULL, inbox_values = NULL');
  await db.query("UPDATE aiops_ingest_batch SET received_at = now() - interval '2 days' WHERE id = ?", [old.json.batch_id]);
  await db.query(migration('0007-rca-reads-inboxes.sql'));
  const rows = await db.query<Inbox>('SELECT * FROM aiops_ingest_batch');
  const byId = new Map(rows.map((r) => [r.id, r]));
  const filled = byId.get(recent.json.batch_id) as Inbox;
  t.same(filled.inbox_services, ['db', 'db', 'db', 'web', 'web', 'web'], 'grouped by series, each in time order');
  t.same(filled.inbox_values, [10, 12, 14, 11, 13, 15]);
  t.equal(byId.get(old.json.batch_id)?.inbox_services, null, "a batch past RCA's window stays empty");
  const indexes = await db.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename LIKE 'aiops_point%' ORDER BY 1");
  t.same(indexes, [], 'no index on the points or their partitions');
});
