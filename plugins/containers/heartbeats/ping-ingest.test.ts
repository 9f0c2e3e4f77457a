import t from 'tap';
import { AppError } from '../../../core/plugin-api/index.ts';
import { heartbeatWorld } from './heartbeat.testkit.ts';
import { GroupCommitter, type IncomingPing, PingStore, pingWriteSql, uuidv7, uuidv7Floor } from './ping-ingest.ts';
import { prunePings } from './ping-retention.ts';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

t.test('group commit: what arrives together is written together; what arrives during a commit goes in the next batch', async (t) => {
  const batches: number[][] = [];
  const gates: ReturnType<typeof deferred<void>>[] = [];
  const committer = new GroupCommitter<number, string>(
    async (items) => {
      batches.push(items);
      const gate = deferred<void>();
      gates.push(gate);
      await gate.promise;
      return items.map((i) => `stored ${i}`);
    },
    { maxBatch: 100, maxQueued: 1000 },
  );
  const answered: string[] = [];
  const first = [1, 2, 3].map((i) => committer.submit(i).then((a) => answered.push(a)));
  await new Promise((resolve) => setImmediate(resolve));
  t.same(batches, [[1, 2, 3]], 'one write for the three');
  const second = [4, 5].map((i) => committer.submit(i).then((a) => answered.push(a)));
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(batches.length, 1, 'no second write while the first commits');
  t.same(answered, [], 'nobody is answered before the commit');
  gates[0].resolve();
  await Promise.all(first);
  t.same(answered, ['stored 1', 'stored 2', 'stored 3']);
  await new Promise((resolve) => setImmediate(resolve));
  t.same(batches[1], [4, 5], 'the waiting ones form the next batch');
  gates[1].resolve();
  await Promise.all(second);
  t.same(answered.slice(3), ['stored 4', 'stored 5']);
  await committer.close();
  await t.rejects(committer.submit(6), { code: 'unavailable' }, 'closed: retry elsewhere');
});

t.test('group commit: a failed write answers every ping of its batch with a retryable error, and the next batch goes on', async (t) => {
  let calls = 0;
  const committer = new GroupCommitter<number, number>(
    async (items) => {
      calls += 1;
      if (calls === 1) throw new Error('connection lost');
      return items;
    },
    { maxBatch: 2, maxQueued: 3 },
  );
  const results = await Promise.allSettled([1, 2, 3].map((i) => committer.submit(i)));
  t.match(results, [
    { status: 'rejected', reason: { code: 'unavailable', headers: { 'Retry-After': '1' } } },
    { status: 'rejected', reason: { code: 'unavailable' } },
    { status: 'fulfilled', value: 3 },
  ]);
  t.ok((results[0] as PromiseRejectedResult).reason instanceof AppError);
  const overflow = [1, 2, 3, 4].map((i) => committer.submit(i));
  await t.rejects(overflow[3], { code: 'unavailable', message: /Too many pings/ }, 'beyond maxQueued: 503');
  t.same(await Promise.all(overflow.slice(0, 3)), [1, 2, 3]);
});

t.test('group commit: two batches commit side by side; an item whose key is committing waits for it, in order', async (t) => {
  const batches: string[][] = [];
  const gates: ReturnType<typeof deferred<void>>[] = [];
  const committer = new GroupCommitter<string, string>(
    async (items) => {
      batches.push(items);
      const gate = deferred<void>();
      gates.push(gate);
      await gate.promise;
      return items;
    },
    { maxBatch: 100, maxQueued: 100, maxInFlight: 2, keyOf: (item) => item[0] },
  );
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const answered: string[] = [];
  const submit = (items: string[]) => items.map((item) => committer.submit(item).then((a) => answered.push(a)));
  const first = submit(['a1', 'b1']);
  await turn();
  const second = submit(['a2', 'c1', 'a3', 'd1']);
  await turn();
  t.same(
    batches,
    [
      ['a1', 'b1'],
      ['c1', 'd1'],
    ],
    'the second batch starts during the first; a2 and a3 wait for a1',
  );
  const third = submit(['e1']);
  await turn();
  t.equal(batches.length, 2, 'never more than two in flight');
  gates[1].resolve();
  await turn();
  await turn();
  t.same(batches[2], ['e1'], 'a free slot takes what can go: e1, not the a-items still committing');
  gates[0].resolve();
  await Promise.all(first);
  await turn();
  await turn();
  t.same(batches[3], ['a2', 'a3'], 'once a1 committed, a2 and a3 follow in their order');
  gates[2].resolve();
  gates[3].resolve();
  await Promise.all([...second, ...third]);
  t.same(answered.sort(), ['a1', 'a2', 'a3', 'b1', 'c1', 'd1', 'e1']);
  await committer.close();
});

t.test('group commit: batches are bounded by bytes', async (t) => {
  const batches: string[][] = [];
  const committer = new GroupCommitter<string, string>(
    async (items) => {
      batches.push(items);
      return items;
    },
    { maxBatch: 100, maxQueued: 100, sizeOf: (s) => s.length, maxBatchBytes: 10 },
  );
  await Promise.all(['aaaa', 'bbbb', 'cccc', 'dddddddddddddddd', 'e'].map((s) => committer.submit(s)));
  t.same(batches, [['aaaa', 'bbbb'], ['cccc'], ['dddddddddddddddd'], ['e']]);
});

t.test('ping ids are time-ordered UUIDv7 and strictly increase', async (t) => {
  const ms = Date.parse('2025-06-01T12:00:00Z');
  const ids = Array.from({ length: 4000 }, () => uuidv7(ms));
  t.match(ids[0], /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.ok(
    ids.every((id, i) => i === 0 || id > ids[i - 1]),
    'ids of one millisecond keep their order',
  );
  t.ok(uuidv7Floor(ms) <= ids[0]);
  t.ok(uuidv7Floor(ms + 86_400_000) > ids[3999]);
});

const ping = (uuid: string, kind: IncomingPing['kind'], at: string, extra: Partial<IncomingPing> = {}): IncomingPing => ({
  uuid,
  kind,
  exitCode: null,
  rid: null,
  at: new Date(at),
  method: 'GET',
  remoteAddr: '127.0.0.1',
  userAgent: 'curl/8',
  body: null,
  bodyBytes: 0,
  ...extra,
});

t.test('one batch: pings of several heartbeats, in order, unknown uuids answered null, one transaction', async (t) => {
  const { create, get, services, kernel } = await heartbeatWorld(t);
  const a = await create({ name: 'a' });
  const b = await create({ name: 'b' });
  const store = new PingStore(services());
  const acks = await store.commit([
    ping(a.uuid, 'start', '2025-06-01T12:00:00Z'),
    ping(b.uuid, 'success', '2025-06-01T12:00:01Z'),
    ping('00000000-0000-4000-8000-000000000000', 'success', '2025-06-01T12:00:01Z'),
    ping(a.uuid, 'success', '2025-06-01T12:00:07Z', { method: 'POST', body: 'done', bodyBytes: 4 }),
    ping(b.uuid, 'fail', '2025-06-01T12:00:08Z', { exitCode: 2 }),
    ping(b.uuid.toUpperCase(), 'log', '2025-06-01T12:00:09Z'),
  ]);
  t.same(acks, [{ heartbeatId: a.id }, { heartbeatId: b.id }, null, { heartbeatId: a.id }, { heartbeatId: b.id }, { heartbeatId: b.id }]);
  t.match(await get(a.id), { status: 'up', pingCount: 2, lastDurationMs: 7000, running: false, lastPingAt: '2025-06-01T12:00:07.000Z' });
  t.match(await get(b.id), { status: 'down', pingCount: 3, lastExitCode: 2, lastPingAt: '2025-06-01T12:00:08.000Z' });
  const flips = await kernel.database.query<{ heartbeat_id: string; to_status: string }>('SELECT heartbeat_id, to_status FROM heartbeat_flip ORDER BY at, id');
  t.same(
    flips.map((f) => [f.heartbeat_id, f.to_status]),
    [
      [b.id, 'up'],
      [a.id, 'up'],
      [b.id, 'down'],
    ],
  );
  const rows = await kernel.database.query<{ count: string }>('SELECT count(*) AS count FROM heartbeat_ping');
  t.equal(Number(rows[0].count), 5);
  const writers = await kernel.database.query<{ xid: string }>(
    `SELECT DISTINCT xmin::text AS xid FROM (
       SELECT xmin FROM heartbeat_ping UNION ALL SELECT xmin FROM heartbeat_flip
       UNION ALL SELECT xmin FROM event_outbox WHERE topic = 'heartbeat.pinged') w`,
  );
  // (The heartbeat rows themselves are left out: the deadline loop's alert catch-up may rewrite a
  // down heartbeat right after the batch; their counts above show the batch updated them.)
  t.equal(writers.length, 1, 'pings, flips and events were all written by one transaction');
  const events = await kernel.database.query<{ payload: any }>(`SELECT payload FROM event_outbox WHERE topic = 'heartbeat.pinged' ORDER BY id`);
  t.same(
    events.map((e) => [e.payload.name, e.payload.kind, e.payload.status]),
    [
      ['a', 'start', 'new'],
      ['b', 'success', 'up'],
      ['a', 'success', 'up'],
      ['b', 'fail', 'down'],
    ],
    'the first ping of each heartbeat and every status change',
  );
});

t.test('a ping is answered only once it is durable: a failed write stores nothing and answers 503', async (t) => {
  const { create, get, ping: httpPing, kernel } = await heartbeatWorld(t);
  const hb = await create();
  await kernel.database.query('ALTER TABLE heartbeat_ping ADD CONSTRAINT refuse_all CHECK (false) NOT VALID');
  const refused = await httpPing(`/ping/${hb.uuid}`);
  t.equal(refused.status, 503);
  t.match(JSON.parse(refused.text), { error: { code: 'unavailable' } });
  t.equal(refused.headers.get('retry-after'), '1');
  t.match(await get(hb.id), { status: 'new', pingCount: 0, lastPingAt: null }, 'the heartbeat is untouched: the batch rolled back');
  await kernel.database.query('ALTER TABLE heartbeat_ping DROP CONSTRAINT refuse_all');
  t.equal((await httpPing(`/ping/${hb.uuid}`)).status, 200);
  t.match(await get(hb.id), { status: 'up', pingCount: 1 });
});

t.test('a batch finds its heartbeats through the primary key, at any number of heartbeats', async (t) => {
  const { fill, genericPlan } = await heartbeatWorld(t);
  // A thousand heartbeats: the size at which the generic plan used to read them all for every batch.
  await fill(1000);
  const plan = await genericPlan(pingWriteSql);
  t.match(plan, /Update on heartbeat h/);
  t.notMatch(plan, /Seq Scan on heartbeat h/, 'no scan of every heartbeat');
});

t.test('concurrent pings over HTTP are all stored, none lost', async (t) => {
  const { create, get, ping: httpPing, kernel } = await heartbeatWorld(t);
  const heartbeats = await Promise.all(Array.from({ length: 10 }, (_, i) => create({ name: `job ${i}` })));
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => httpPing(`/ping/${heartbeats[i % 10].uuid}/${i % 3 === 0 ? 'start' : '0'}`)));
  t.ok(
    answers.every((a) => a.status === 200 && a.text === 'OK'),
    'all 200 OK',
  );
  const [count] = await kernel.database.query<{ count: string }>('SELECT count(*) AS count FROM heartbeat_ping');
  t.equal(Number(count.count), 200);
  for (const hb of heartbeats) t.equal((await get(hb.id)).pingCount, 20);
});

t.test('a heartbeat changed between read and write is read again: its pings are neither lost nor applied twice', async (t) => {
  const { create, get, services, kernel } = await heartbeatWorld(t);
  const a = await create({ name: 'a' });
  const b = await create({ name: 'b' });
  const { database, events, alerts } = services();
  let interfere = 1;
  let reads = 0;
  const platform = database.platform;
  const meddling = {
    forTenant: (tenantId: string) => database.forTenant(tenantId),
    platform: {
      transaction: platform.transaction,
      relaxedQuery: platform.relaxedQuery,
      statement: platform.statement,
      query: async <T>(sql: string, params?: unknown[]) => {
        const rows = await platform.query<T>(sql, params);
        if (sql.includes('ping_uuid = ANY')) reads += 1;
        // Right after the batch read the heartbeats, someone else changes heartbeat a.
        if (sql.includes('ping_uuid = ANY') && interfere-- > 0)
          await platform.query(`UPDATE heartbeat SET description = 'changed meanwhile' WHERE id = ?`, [a.id]);
        return rows;
      },
    },
  } as unknown as typeof database;
  const store = new PingStore({ database: meddling, events, alerts });
  const acks = await store.commit([ping(a.uuid, 'success', '2025-06-01T12:00:00Z'), ping(b.uuid, 'success', '2025-06-01T12:00:00Z')]);
  t.same(acks, [{ heartbeatId: a.id }, { heartbeatId: b.id }]);
  t.match(await get(a.id), { pingCount: 1, status: 'up', description: 'changed meanwhile' }, 'applied once, on top of the other change');
  t.match(await get(b.id), { pingCount: 1, status: 'up' });

  const readsBefore = reads;
  const again = await store.commit([ping(a.uuid, 'success', '2025-06-01T12:00:02Z')]);
  t.same(again, [{ heartbeatId: a.id }]);
  t.equal(reads, readsBefore, 'a heartbeat this store just wrote needs no read');
  await kernel.database.query(`UPDATE heartbeat SET description = 'changed by the API' WHERE id = ?`, [a.id]);
  await store.commit([ping(a.uuid, 'success', '2025-06-01T12:00:03Z')]);
  t.match(await get(a.id), { pingCount: 3, description: 'changed by the API' }, 'a stale copy in memory is read again, not written over the change');

  interfere = 100;
  const [gaveUp] = await new PingStore({ database: meddling, events, alerts }).commit([ping(a.uuid, 'fail', '2025-06-01T12:00:05Z')]);
  t.match(gaveUp, { code: 'unavailable' }, 'a heartbeat that keeps changing: the ping is refused, not half-stored');
  t.match(await get(a.id), { pingCount: 3, status: 'up' });
  const [count] = await kernel.database.query<{ count: string }>('SELECT count(*) AS count FROM heartbeat_ping WHERE heartbeat_id = ?', [a.id]);
  t.equal(Number(count.count), 3);
});

t.test('pings older than the retention are pruned; status history stays', async (t) => {
  const { create, services, kernel } = await heartbeatWorld(t);
  const hb = await create();
  const store = new PingStore(services());
  await store.commit([ping(hb.uuid, 'success', '2025-04-01T12:00:00Z'), ping(hb.uuid, 'fail', '2025-04-01T12:00:01Z')]);
  await store.commit([ping(hb.uuid, 'success', '2025-05-30T12:00:00Z')]);
  const pruned = await prunePings(services().database, new Date('2025-06-01T12:00:00Z'), 1);
  t.equal(pruned, 2, 'the two April pings (chunk by chunk)');
  const left = await kernel.database.query<{ received_at: Date }>('SELECT received_at FROM heartbeat_ping');
  t.same(
    left.map((r) => new Date(r.received_at).toISOString()),
    ['2025-05-30T12:00:00.000Z'],
  );
  // The pings' three flips (up, down, up); the deadline loop may add a later one of its own.
  const [flips] = await kernel.database.query<{ count: string }>(
    "SELECT count(*) AS count FROM heartbeat_flip WHERE heartbeat_id = ? AND at <= '2025-05-30T12:00:00Z'",
    [hb.id],
  );
  t.equal(Number(flips.count), 3, 'flips are kept (uptime is computed from them)');
});
