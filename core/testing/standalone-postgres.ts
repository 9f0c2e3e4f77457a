import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../db/embedded-postgres.ts';
import { createLogger } from '../logging/logger.ts';
import { freePort } from './free-port.ts';

/**
 * The PostgreSQL server a test uses when it runs outside `npm test` (a plugin's own test runner):
 * ITOPS_TEST_SERVER_URL or DATABASE_URL when set (a server where that user may create databases,
 * e.g. to share one server among many test processes), otherwise an embedded
 * cluster of this process, started on first use and stopped when its last user releases it, since
 * a running server would keep the test process from exiting.
 */
let users = 0;
let starting: Promise<{ url: string; stop: () => Promise<void> }> | undefined;
let stopping: Promise<void> = Promise.resolve();
let clusterDir: string | undefined;

async function start(): Promise<{ url: string; stop: () => Promise<void> }> {
  await stopping;
  if (!clusterDir) {
    // One cluster folder per process, initialised once and removed when the process ends.
    clusterDir = mkdtempSync(path.join(os.tmpdir(), 'itops-plugin-test-'));
    const dir = clusterDir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const port = Number(process.env.ITOPS_TEST_DB_PORT) || (await freePort());
  return startEmbeddedPostgres({ dir: path.join(clusterDir, 'postgres'), port, logger: createLogger(process.env.ITOPS_TEST_LOG_LEVEL ?? 'silent') });
}

/** A server URL to create databases on, and the function to call once done with it. */
export async function acquireStandaloneServer(): Promise<{ serverUrl: string; release: () => Promise<void> }> {
  const configured = process.env.ITOPS_TEST_SERVER_URL || process.env.DATABASE_URL;
  if (configured) return { serverUrl: configured, release: async () => {} };
  users++;
  starting ??= start();
  let server: Awaited<typeof starting>;
  try {
    server = await starting;
  } catch (error) {
    users--;
    starting = undefined;
    throw error;
  }
  let released = false;
  return {
    serverUrl: server.url,
    release: async () => {
      if (released) return;
      released = true;
      if (--users > 0) return;
      starting = undefined;
      stopping = server.stop();
      await stopping;
    },
  };
}
