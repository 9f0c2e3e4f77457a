/**
 * `npm test`: prepares a PostgreSQL server (embedded, or the one DATABASE_URL names), builds one
 * migrated template database, and runs tap over every *.test.ts. Each test file clones the template
 * into a database of its own, so files run in parallel without seeing each other's rows.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { Database } from '../core/db/database.ts';
import { migrate, sqlMigrations } from '../core/db/sql-migrator.ts';
import { type EmbeddedDatabase, startEmbeddedPostgres, withDatabase } from '../core/db/embedded-postgres.ts';
import { createLogger } from '../core/logging/logger.ts';
import { migrations } from '../migrations/index.ts';
import { FailureCollector } from './tap-failures.ts';

const logger = createLogger(process.env.ITOPS_TEST_LOG_LEVEL ?? 'warn');
const template = 'itops_test_template';
const failedMigrations: string[] = [];

async function admin(serverUrl: string, sql: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    for (const statement of sql) await client.query(statement);
  } finally {
    await client.end();
  }
}

async function prepareTemplate(serverUrl: string): Promise<void> {
  await admin(serverUrl, [`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`, `CREATE DATABASE ${template}`]);
  const url = withDatabase(serverUrl, template);
  // Core, every first-party plugin and the example plugin, so test kernels find their tables ready.
  const database = new Database(url, 2, logger);
  await migrate(database.platform, '', migrations);
  // Read from the folders, not the manifests: a plugin that fails to import still leaves the run able to test the rest.
  const folders = readdirSync('plugins', { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(path.join('plugins', d.name, 'migrations')));
  // A plugin whose migrations fail is left out (each migration runs in its own transaction), so the
  // rest can still be tested; the run still fails, naming it, once the tests are done.
  for (const folder of folders) {
    try {
      await migrate(database.platform, folder.name, sqlMigrations(pathToFileURL(path.resolve('plugins', folder.name, 'migrations/'))));
    } catch (error) {
      failedMigrations.push(`${folder.name}: ${(error as Error).message}`);
      process.stderr.write(`\nplugin ${folder.name}: its migrations failed, its tables are missing: ${(error as Error).message}\n`);
    }
  }
  await migrate(database.platform, 'example', sqlMigrations(new URL('../core/testing/example-plugin/migrations/', import.meta.url)));
  await database.close();
  // pg-boss creates its schema on first start; do it once here instead of in every test database.
  const boss = new PgBoss({ connectionString: url, max: 1 });
  await boss.start();
  await boss.stop({ graceful: false, close: true });
}

async function dropLeftovers(serverUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    // A test killed before its teardown may leave a logical replication slot, which keeps its database from being dropped.
    await client.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database LIKE 'itops\\_test\\_%' AND NOT active`);
    const rows = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE 'itops\\_test\\_%'`);
    for (const { datname } of rows.rows) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Where the embedded test cluster lives: ITOPS_TEST_DB_DIR, else in memory (/dev/shm) where there is
 * room, else in .test-data. Every test file clones a database from the template, and on this
 * machine's ext4 disk a clone of the 14 MB template took 700 ms against 23 ms in memory: a quarter of
 * the suite's time went to making files. Named per checkout and port, so two checkouts never share one.
 * One in memory is removed when the run ends (a new one takes a third of a second): it holds RAM.
 */
function testClusterDir(port: number): { dir: string; inMemory: boolean } {
  if (process.env.ITOPS_TEST_DB_DIR) return { dir: path.resolve(process.env.ITOPS_TEST_DB_DIR), inMemory: false };
  const memory = '/dev/shm';
  try {
    const { bavail, bsize } = statfsSync(memory);
    if (bavail * bsize >= 4 * 1024 ** 3) {
      const checkout = createHash('sha256').update(process.cwd()).digest('hex').slice(0, 12);
      return { dir: path.join(memory, `itops-test-${checkout}-${port}`), inMemory: true };
    }
  } catch {
    // No such folder (not Linux): the disk it is.
  }
  return { dir: path.resolve(`.test-data/postgres-${port}`), inMemory: false };
}

let embedded: EmbeddedDatabase | undefined;
let cluster: { dir: string; inMemory: boolean } | undefined;
let serverUrl = process.env.DATABASE_URL;
if (!serverUrl) {
  // One cluster per port, so a second run on this machine (ITOPS_TEST_DB_PORT) does not share files.
  const port = Number(process.env.ITOPS_TEST_DB_PORT ?? 54339);
  // Its data is thrown away: no flush to disk at each commit (a killed server still keeps what it
  // committed, in the OS's cache; only a machine crash would lose it), which the CPU-bound run needs.
  cluster = testClusterDir(port);
  embedded = await startEmbeddedPostgres({
    dir: cluster.dir,
    port,
    logger,
    // The audit trail's WAL mode and its decoder are tested against it.
    walLevel: 'logical',
    settings: { fsync: 'off', full_page_writes: 'off' },
  });
  serverUrl = embedded.url;
}
let exitCode = 1;
try {
  await dropLeftovers(serverUrl);
  await prepareTemplate(serverUrl);
  const child = spawn('tap', process.argv.slice(2), {
    stdio: ['inherit', 'pipe', 'inherit'],
    env: {
      ...process.env,
      ITOPS_TEST_SERVER_URL: serverUrl,
      ITOPS_TEST_TEMPLATE: template,
      DATABASE_URL: '',
      // Every test file is a process of its own that compiles the same ~1,500 modules; V8's code
      // cache on disk saves each of them a third of its start-up CPU (1.5 s against 2.3 s here).
      NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? path.resolve('.test-data/compile-cache'),
    },
  });
  let tail = '';
  const failures = new FailureCollector();
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    tail = (tail + chunk.toString()).slice(-4096);
    failures.add(chunk.toString());
  });
  exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  // tap ends with "# { total: N, pass: P, fail: F, ... }"; CI reads the plain "P passed, F failed".
  const summary = /# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/.exec(tail);
  if (summary) process.stdout.write(`\n${summary[2] ?? 0} passed, ${summary[3] ?? 0} failed\n`);
  // Repeated last, where a CI log cut to its end still shows which tests failed and why.
  if (failures.blocks.length > 0) process.stdout.write(`\nfailed:\n${failures.blocks.join('\n')}\n`);
  if (failedMigrations.length > 0) {
    process.stdout.write(`\nthe run fails: plugin migrations failed:\n${failedMigrations.join('\n')}\n`);
    exitCode = 1;
  }
  await dropLeftovers(serverUrl);
} finally {
  await embedded?.stop();
  if (cluster?.inMemory) rmSync(cluster.dir, { recursive: true, force: true });
}
process.exit(exitCode);
