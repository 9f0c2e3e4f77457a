import pg from 'pg';
import t, { type Test } from 'tap';
import { cloneTestDatabase } from '../testing/test-database.ts';
import { type ReplicationMessage, type ReplicationStream, startLogicalReplication } from './logical-replication.ts';
import { lsnValue } from './wal-position.ts';

/** A database of the test's own at wal_level = logical, with a published table and a pgoutput slot. */
async function world(t: Test) {
  const database = await cloneTestDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const slot = `stream_${database.name.slice(-12)}`;
  const streams: ReplicationStream[] = [];
  t.teardown(async () => {
    await Promise.all(streams.map((stream) => stream.close()));
    await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]).catch(() => undefined);
    await client.end();
    await database.drop();
  });
  const [{ wal_level }] = (await client.query('SHOW wal_level')).rows;
  if (wal_level !== 'logical') {
    t.plan(0, `the server runs with wal_level = ${wal_level}; streaming needs logical (the embedded test cluster has it)`);
    return undefined;
  }
  await client.query('CREATE TABLE streamed (id int PRIMARY KEY, name text); CREATE PUBLICATION streamed_pub FOR TABLE streamed');
  await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  const open = async (maxBuffered?: number) => {
    const stream = await startLogicalReplication(database.url, {
      slot,
      pluginOptions: { proto_version: '1', publication_names: 'streamed_pub' },
      maxBuffered,
    });
    streams.push(stream);
    return stream;
  };
  return { database, client, slot, open };
}

/** Takes messages until `commits` commits arrived (or fails after 10 s). */
async function takeCommits(stream: ReplicationStream, commits: number, max = 1000): Promise<ReplicationMessage[]> {
  const taken: ReplicationMessage[] = [];
  const until = Date.now() + 10_000;
  while (taken.filter((m) => m.data[0] === 0x43).length < commits) {
    if (stream.failure) throw stream.failure;
    if (Date.now() > until) throw new Error(`only ${taken.length} messages in 10 s`);
    const more = stream.take(max);
    taken.push(...more);
    if (more.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return taken;
}

const kinds = (messages: ReplicationMessage[]) => messages.map((m) => String.fromCharCode(m.data[0])).join('');

t.test('streams each committed transaction as pgoutput sends it, and resumes after the confirmed position', async (t) => {
  const w = await world(t);
  if (!w) return;
  const stream = await w.open();
  for (const id of [1, 2, 3]) await w.client.query('INSERT INTO streamed VALUES ($1, $2)', [id, `row ${id}`]);
  const messages = await takeCommits(stream, 3);
  t.equal(kinds(messages), 'BRICBICBIC', 'begin, the relation once, the insert and the commit of each transaction');
  // A relation's description comes without a position (0/0); every other message has one.
  const positions = messages.filter((m) => m.data[0] !== 0x52).map((m) => lsnValue(m.lsn));
  t.ok(
    positions.every((p, i) => p > 0n && (i === 0 || p >= positions[i - 1])),
    'positions never go back',
  );
  const commits = messages.filter((m) => m.data[0] === 0x43);
  stream.confirm(commits[1].lsn);
  const until = Date.now() + 10_000;
  let confirmed = '';
  while (Date.now() < until) {
    confirmed = (await w.client.query('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [w.slot])).rows[0].lsn;
    if (confirmed === commits[1].lsn) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.equal(confirmed, commits[1].lsn, "the server took the confirmed position as the slot's");
  await stream.close();
  t.ok(stream.failure, 'a closed stream says it stopped');

  const again = await w.open();
  const resumed = await takeCommits(again, 1);
  t.equal(kinds(resumed), 'BRIC', 'a new stream starts after the confirmed transactions: only the third again');
  t.equal(resumed.at(-1)?.lsn, commits[2].lsn);
});

t.test('one stream per slot: a second is refused while the first holds it', async (t) => {
  const w = await world(t);
  if (!w) return;
  const first = await w.open();
  await t.rejects(w.open(), { code: '55006' }, 'object in use');
  t.equal(first.failure, undefined, 'the first streams on');
  await first.close();
  const second = await w.open();
  t.equal(second.failure, undefined, 'once it closed, another may stream');
});

t.test('a slot that does not exist is refused', async (t) => {
  const w = await world(t);
  if (!w) return;
  await t.rejects(startLogicalReplication(w.database.url, { slot: 'no_such_slot', pluginOptions: { proto_version: '1', publication_names: 'streamed_pub' } }), {
    code: '42704',
  });
});

t.test('a consumer that falls behind pauses the stream instead of buffering without bound, and loses nothing', async (t) => {
  const w = await world(t);
  if (!w) return;
  const stream = await w.open(10);
  // 5 MB of rows: what one read of the socket brings (64 kB, about 60 rows) is parsed whole, then it pauses.
  await w.client.query('INSERT INTO streamed SELECT i, $1 FROM generate_series(1, 5000) i', ['x'.repeat(1000)]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const early = stream.take(100_000);
  t.ok(early.length < 200, `about the bound and one read of the socket held, not the transaction's 5,000 rows (${early.length})`);
  const rest = await takeCommits(stream, 1, 7);
  const all = [...early, ...rest];
  t.equal(all.filter((m) => m.data[0] === 0x49).length, 5000, 'every row came, in small takes');
});

t.test('an idle stream answers the server keepalives and outlives wal_sender_timeout', async (t) => {
  const w = await world(t);
  if (!w) return;
  await w.client.query(`ALTER DATABASE ${pg.escapeIdentifier(w.database.name)} SET wal_sender_timeout = '1s'`);
  const stream = await w.open();
  await new Promise((resolve) => setTimeout(resolve, 3500));
  t.equal(stream.failure, undefined, 'still streaming after three and a half timeouts');
  await w.client.query('INSERT INTO streamed VALUES (1, $1)', ['after the wait']);
  t.equal(kinds(await takeCommits(stream, 1)), 'BRIC');
});

t.test('a stream with nothing left unconfirmed lets the slot release WAL that held nothing for it, and only then', async (t) => {
  const w = await world(t);
  if (!w) return;
  const confirmedFlush = async () =>
    lsnValue((await w.client.query('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [w.slot])).rows[0].lsn);
  const waitFor = async (ok: () => Promise<boolean>) => {
    for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 50))) if (await ok()) return true;
    return false;
  };
  const stream = await w.open();
  // Writes the stream does not carry (an unpublished table): without a confirmation the slot would keep their WAL.
  await w.client.query('CREATE TABLE unpublished (id int)');
  await w.client.query('INSERT INTO unpublished SELECT generate_series(1, 1000)');
  const [{ lsn: quietEnd }] = (await w.client.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows;
  t.ok(await waitFor(async () => (await confirmedFlush()) >= lsnValue(quietEnd)), 'the slot moved past WAL that held nothing for the stream');

  await w.client.query('INSERT INTO streamed VALUES (1, $1)', ['waiting to be taken']);
  await w.client.query('INSERT INTO unpublished SELECT generate_series(1, 1000)');
  const [{ lsn: busyEnd }] = (await w.client.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.ok((await confirmedFlush()) < lsnValue(busyEnd), 'not while a received transaction waits to be taken and confirmed');
  const [commit] = (await takeCommits(stream, 1)).filter((m) => m.data[0] === 0x43);
  t.ok((await confirmedFlush()) < lsnValue(commit.lsn), 'nor once taken, before it is confirmed');
  stream.confirm(commit.lsn);
  t.ok(await waitFor(async () => (await confirmedFlush()) >= lsnValue(busyEnd)), 'once confirmed, past it and the quiet WAL after it');
});
