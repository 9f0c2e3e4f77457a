import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export interface ServerProcess {
  /** Where it listens, e.g. http://127.0.0.1:41234. */
  url: string;
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Everything it wrote so far (for assertions and failure messages). */
  output(): { stdout: string; stderr: string };
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code once it has exited. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * The child exits when its stdin closes, i.e. when this test process is gone however it ended
 * (even killed by a timeout, when no teardown runs), so no server outlives its test.
 */
const dieWithParent = `data:text/javascript,${encodeURIComponent(
  'import { isMainThread } from "node:worker_threads";' +
    // Worker threads get the same --import; only the main thread watches (a worker exiting would end only itself).
    'if (isMainThread) { process.stdin.on("end", () => process.exit(1)); process.stdin.on("error", () => process.exit(1)); process.stdin.resume(); }',
)}`;

/**
 * The ids of the first-party plugins under plugins/ (by convention each folder is named after its
 * plugin's id), so a test can keep them off as startTestKernel does: a test names what it exercises.
 */
function firstPartyPluginIds(): string[] {
  if (!existsSync('plugins')) return [];
  return readdirSync('plugins', { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && ['plugin.ts', 'plugin.js'].some((file) => existsSync(path.join('plugins', entry.name, file))))
    .map((entry) => entry.name);
}

/**
 * Spawns a real server (`node --import tsx core/main.ts`, what `npm start` runs) as its own OS
 * process on a free port with the given environment (first-party plugins off unless `firstParty`;
 * ITOPS_PLUGINS names the plugins a test wants), waits until it prints where it listens, and
 * stops it (SIGTERM, then SIGKILL) when the test ends, whether the test passed or not.
 */
export async function startServerProcess(
  t: { teardown(fn: () => unknown): void },
  env: Record<string, string>,
  options: { startTimeoutMs?: number; firstParty?: boolean; entry?: string; dataDir?: string } = {},
): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'itops-process-')));
  // `entry` runs compiled JavaScript (the production build) with plain node, without tsx.
  const entry = options.entry ? [options.entry] : ['--import', 'tsx', 'core/main.ts'];
  const child = spawn(process.execPath, ['--import', dieWithParent, ...entry], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      ITOPS_PORT: '0',
      ITOPS_HOST: '127.0.0.1',
      ITOPS_DATA_DIR: dataDir,
      ITOPS_LOG_LEVEL: 'warn',
      ITOPS_WORKER_THREADS: '1',
      ITOPS_WORKER_WARM_THREADS: '0',
      ITOPS_DB_POOL_SIZE: '4',
      ITOPS_SHUTDOWN_TIMEOUT_MS: '5000',
      ...(options.firstParty ? {} : { ITOPS_DISABLED_PLUGINS: firstPartyPluginIds().join(',') }),
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (graceMs = 8000): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };
  t.teardown(async () => {
    await stop();
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const url = await new Promise<string>((resolve, reject) => {
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    const timer = setTimeout(() => reject(new Error(`server did not start within ${timeoutMs} ms:\n${stdout}\n${stderr}`)), timeoutMs);
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve(match[1].replace('localhost', '127.0.0.1'));
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (${code}):\n${stdout}\n${stderr}`));
    });
  });
  return { url, child, output: () => ({ stdout, stderr }), stop };
}
