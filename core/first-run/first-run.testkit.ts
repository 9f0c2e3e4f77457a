import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Kernel } from '../kernel/kernel.ts';
import { cloneTestDatabase } from '../testing/test-database.ts';

/**
 * A server on a fresh database with no user, as `npm start` on a new installation, whose log lines
 * are kept: the first-run link is read from them as an operator reads it from the console.
 */
export async function startNewInstallation(t: { teardown(fn: () => unknown): void }, env: Record<string, string> = {}, options: { firstParty?: boolean } = {}) {
  const database = await cloneTestDatabase();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-first-run-'));
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  let kernel: Kernel;
  try {
    kernel = await Kernel.start({
      env: {
        NODE_ENV: 'development',
        ITOPS_PORT: '0',
        ITOPS_HOST: '127.0.0.1',
        ITOPS_DATA_DIR: dataDir,
        ITOPS_WORKER_THREADS: '1',
        ITOPS_WORKER_WARM_THREADS: '0',
        ITOPS_DB_POOL_SIZE: '4',
        DATABASE_URL: database.url,
        ...env,
      },
      logger,
      firstParty: options.firstParty ?? false,
    });
  } catch (error) {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  t.teardown(async () => {
    await kernel.stop();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  /** The setup link the log printed, if any. */
  const setupLink = () =>
    lines
      .map((line) => JSON.parse(line) as { setupUrl?: string })
      .map((entry) => entry.setupUrl)
      .find(Boolean);
  return { kernel, lines, setupLink };
}
