import t, { type Test } from 'tap';
import type { PlatformDatabase } from '../../../core/plugin-api/index.ts';
import { auditServer } from '../audit-server.testkit.ts';
import { capturePublication } from '../../../core/plugin-api/index.ts';
import type { ChangeReader } from '../decoding/slot-reader.ts';
import { StreamReader } from '../decoding/stream-reader.ts';
import { chooseCapture, slotRetirement, walRound } from './capture-mode.ts';
import { auditSlot, consumeWal } from './wal-consumer.ts';

/** The node's own rounds would consume the WAL between the test's steps. */
const alone = { ITOPS_JOBS_ENABLED: 'false' };

/**
 * A WAL-mode server of the test's own (undefined, the test planned empty, where the server cannot
 * decode), its owner's handle, its audit slot, and a probe change made over HTTP by an ops engineer.
 */
async function walWorld(t: Test) {
  const server = await auditServer(t, 'wal', alone);
  if (!server) return undefined;
  const ops = await server.loginAs('ops_engineer');
  const platform = server.database.platform;
  const create = async (name: string) => {
    const created = await server.call('POST', '/api/v1/audit-probe/things', { headers: ops.headers, body: { name } });
    if (created.status !== 201) throw new Error(`create ${name}: ${created.status} ${created.text}`);
  };
  return { server, platform, slot: await auditSlot(platform), create };
}

type Row = { action: string; tenant_id: string; at_ms: number; details: { changesNotRecorded?: number } | null; diff: unknown[] };
/** The records of the probe's changes (signing in made others). */
const recorded = (platform: PlatformDatabase) =>
  platform.query<Row>(
    `SELECT action, tenant_id, (extract(epoch FROM occurred_at) * 1000)::float8 AS at_ms, details, diff FROM audit_record
     WHERE action IN ('probeCreateThing', 'bulkImport') ORDER BY rid`,
  );

t.test('wal: a consumer stopped after writing records but before releasing the slot repeats none of them', async (t) => {
  const world = await walWorld(t);
  if (!world) return;
  const { platform, slot, create } = world;
  for (const name of ['one', 'two']) await create(name);

  // The node dies between committing the records with their position and releasing the slot.
  const dying: PlatformDatabase = {
    ...platform,
    query: (sql, params) => (sql.includes('pg_replication_slot_advance') ? Promise.reject(new Error('the node died')) : platform.query(sql, params)),
  };
  await t.rejects(consumeWal(dying, slot), /the node died/);
  t.equal((await recorded(platform)).length, 2, 'the two records were written');
  t.equal(await consumeWal(platform, slot), 0, 'read again, the same transactions are skipped');
  await create('three');
  t.equal(await consumeWal(platform, slot), 1, 'and the next one is written');
  t.same(
    (await recorded(platform)).map((r) => r.action),
    ['probeCreateThing', 'probeCreateThing', 'probeCreateThing'],
    'each change once',
  );
});

/** Reads until `count` records were written or 10 s passed: a stream brings transactions shortly after they commit. */
async function consumeUntil(platform: PlatformDatabase, slot: string, reader: ChangeReader, count: number): Promise<number> {
  let written = 0;
  for (const until = Date.now() + 10_000; written < count && Date.now() < until; ) {
    written += await consumeWal(platform, slot, reader);
    if (written < count) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return written;
}

t.test('wal, streamed: a node that dies after writing records but before confirming them repeats none of them', async (t) => {
  const world = await walWorld(t);
  if (!world) return;
  const { platform, slot, create } = world;
  const streaming = new StreamReader(platform, slot, capturePublication);
  t.teardown(() => streaming.close());
  for (const name of ['one', 'two']) await create(name);
  const dying: ChangeReader = {
    read: (after, limit, withMessage) => streaming.read(after, limit, withMessage),
    release: () => Promise.reject(new Error('the node died')),
  };
  // Each round writes what the stream brought so far, then dies before confirming it.
  let died: unknown;
  for (const until = Date.now() + 10_000; (await recorded(platform)).length < 2 && Date.now() < until; ) {
    await consumeWal(platform, slot, dying).catch((error: unknown) => {
      died = error;
    });
  }
  t.match(died, /the node died/);
  await streaming.close();
  t.equal((await recorded(platform)).length, 2, 'the two records were written');

  const restarted = new StreamReader(platform, slot, capturePublication);
  t.teardown(() => restarted.close());
  await create('three');
  t.equal(await consumeUntil(platform, slot, restarted, 1), 1, 'streamed again from the last confirmed position, only the new change is written');
  t.same(
    (await recorded(platform)).map((r) => (r.diff[0] as { fields: { name: { after: string } } }).fields.name.after),
    ['one', 'two', 'three'],
    'each change once',
  );
  const other = new StreamReader(platform, slot, capturePublication);
  t.teardown(() => other.close());
  t.equal(await consumeWal(platform, slot, other), 0, "another node's round, while this one streams the slot, writes nothing and fails not");
});

t.test('wal: records are timed at their commit, rows past 100 are counted, a transaction without context is not recorded', async (t) => {
  const world = await walWorld(t);
  if (!world) return;
  const { platform, slot } = world;
  // Written as the observer would: 150 rows and the context, in one transaction that commits now.
  const context = JSON.stringify({ w: true, t: 'acme', o: 'bulkImport', u: null, s: [], e: [] });
  const committed = await platform.transaction(async (tx) => {
    await tx.query(`INSERT INTO auditprobe_thing (id, tenant_id, name) SELECT gen_random_uuid(), 'acme', 'bulk ' || n FROM generate_series(1, 150) n`);
    await tx.query(`SELECT pg_logical_emit_message(true, 'itops.audit', ?)`, [context]);
    const [{ now }] = await tx.query<{ now: number }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now');
    return now;
  });
  // A change outside any request carries no context: like row capture, it gets no record.
  await platform.query(`INSERT INTO auditprobe_thing (id, tenant_id, name) VALUES (gen_random_uuid(), 'acme', 'by a job')`);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await consumeWal(platform, slot);
  const [bulk, ...others] = await recorded(platform);
  t.equal(others.length, 0, 'one record of the bulk change');
  const [{ n }] = await platform.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_record WHERE diff::text LIKE '%by a job%'`);
  t.equal(n, 0, 'none of the change without context');
  t.match(bulk, { action: 'bulkImport', tenant_id: 'acme', details: { changesNotRecorded: 50 } });
  t.equal(bulk.diff.length, 100, 'the first 100 rows in the diff');
  const late = bulk.at_ms - committed;
  t.ok(late >= 0 && late < 1000, `timed at the commit, not when the consumer read it (${late} ms after the last statement)`);
});

t.test('a slot left by WAL mode is drained, then dropped', async (t) => {
  const world = await walWorld(t);
  if (!world) return;
  const { platform, slot, create } = world;
  await create('last');
  // What a node started in trigger mode runs each round.
  const retire = slotRetirement(platform, slot, 0);
  await retire();
  t.same(
    (await recorded(platform)).map((r) => r.action),
    ['probeCreateThing'],
    'the change still waiting in the WAL got its record',
  );
  const slots = async () => (await platform.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = ?', [slot]))[0].n;
  t.equal(await slots(), 1, 'kept while it still had records to give');
  await retire();
  t.equal(await slots(), 0, 'dropped once it gave none');
});

t.test('wal: a slot that lost its WAL is replaced, and the gap is recorded in the trail', async (t) => {
  const world = await walWorld(t);
  if (!world) return;
  const { platform, slot, create } = world;
  const logged: unknown[] = [];
  const round = walRound(platform, slot, { debug() {}, info() {}, warn() {}, error: (entry) => void logged.push(entry) });
  await create('before');
  for (const until = Date.now() + 10_000; (await recorded(platform)).length === 0 && Date.now() < until; ) await round();
  // What max_slot_wal_keep_size does to a slot (the server ends its reader, then forgets its WAL), or
  // an operator ending the reader and dropping the slot.
  for (const until = Date.now() + 10_000; ; ) {
    await platform.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = ? AND active_pid IS NOT NULL', [slot]);
    const dropped = await platform.query('SELECT pg_drop_replication_slot(?)', [slot]).then(
      () => true,
      (error: { code?: string }) => (error.code === '55006' && Date.now() < until ? false : Promise.reject(error)),
    );
    if (dropped) break;
  }
  await create('lost');
  await round();
  const [gap] = await platform.query<{ tenant_id: string; outcome: string; details: { reason: string; recordedThrough: string | null } }>(
    "SELECT tenant_id, outcome, details FROM audit_record WHERE action = 'audit.records_lost'",
  );
  t.match(gap, { tenant_id: '-platform', outcome: 'failure', details: { reason: /slot was dropped/, recordedThrough: /^[0-9A-F]+\/[0-9A-F]+$/ } });
  t.equal(logged.length, 1, 'and logged as an error');
  await create('after');
  for (const until = Date.now() + 10_000; (await recorded(platform)).length < 2 && Date.now() < until; ) await round();
  t.same(
    (await recorded(platform)).map((r) => (r.diff[0] as { fields: { name: { after: string } } }).fields.name.after),
    ['before', 'after'],
    'recording goes on with a new slot',
  );
});

t.test('wal: two consumers that read the same transactions write their records once', async (t) => {
  const world = await walWorld(t);
  if (!world) return;
  const { platform, slot, create } = world;
  for (const name of ['one', 'two']) await create(name);
  // The first has read the slot and is about to write when the second reads, writes and releases.
  let readDone: () => void = () => {};
  const hasRead = new Promise<void>((resolve) => {
    readDone = resolve;
  });
  let openGate: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  const slow: PlatformDatabase = {
    ...platform,
    transaction: async (fn) => {
      readDone();
      await gate;
      return platform.transaction(fn);
    },
  };
  const first = consumeWal(slow, slot);
  await hasRead;
  await consumeWal(platform, slot);
  openGate();
  await first;
  t.same(
    (await recorded(platform)).map((r) => (r.diff[0] as { fields: { name: { after: string } } }).fields.name.after),
    ['one', 'two'],
    'each change once',
  );
});

t.test('auto: a server that refuses the role a replication connection gets trigger mode, wal refuses to start', async (t) => {
  const world = await walWorld(t);
  if (!world) return;
  const { platform } = world;
  const refusing = (code: string): PlatformDatabase => ({
    ...platform,
    logicalReplication: () => Promise.reject(Object.assign(new Error('no pg_hba.conf entry for replication connection'), { code })),
  });
  t.match(await chooseCapture(platform, 'auto'), { mode: 'wal' }, 'this server streams');
  t.match(
    await chooseCapture(refusing('28000'), 'auto'),
    { mode: 'trigger', reason: /refuses the role a replication connection \(no pg_hba.conf entry/ },
    'refused: trigger mode, saying why',
  );
  await t.rejects(chooseCapture(refusing('28000'), 'wal'), /ITOPS_AUDIT_CAPTURE=wal, but the server refuses the role a replication connection/);
  t.match(await chooseCapture(refusing('55006'), 'auto'), { mode: 'wal' }, 'a slot another node streams is no refusal');
});
