import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logging/logger.ts';

/**
 * The itops process that started a cluster writes its pid here: a postmaster still running after
 * that process is gone was left by a crash (kill -9 runs no handler) and nobody else will stop it.
 */
const ownerFile = 'itops-owner.pid';

export async function claimCluster(dir: string): Promise<void> {
  await fs.writeFile(path.join(dir, ownerFile), `${process.pid}\n`, { mode: 0o600 });
}

export async function releaseCluster(dir: string): Promise<void> {
  const owner = Number((await fs.readFile(path.join(dir, ownerFile), 'utf8').catch(() => '')).trim());
  if (owner === process.pid) await fs.rm(path.join(dir, ownerFile), { force: true });
}

/**
 * Makes the cluster under `dir` free to start. A postmaster.pid naming a process that is gone is
 * removed (PostgreSQL would refuse to start). A running postmaster of this very cluster whose owner
 * died is shut down (fast: open sessions are ended, nothing committed is lost) and awaited. One
 * whose owner is alive belongs to another itops process on this data directory: that is refused
 * rather than stolen.
 */
export async function clearLeftoverPostmaster(dir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(dir, 'postmaster.pid');
  const pid = Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!pid) return;
  if (!isAlive(pid)) {
    await fs.rm(pidFile, { force: true });
    return;
  }
  if (!isPostmasterOf(pid, dir)) {
    // The pid was reused by an unrelated process after a crash: the lock file is stale.
    if (processCommandLine(pid) !== undefined) await fs.rm(pidFile, { force: true });
    return;
  }
  const owner = Number((await fs.readFile(path.join(dir, ownerFile), 'utf8').catch(() => '')).trim());
  if (owner && owner !== process.pid && isAlive(owner) && isNodeProcess(owner)) {
    throw new Error(`the embedded PostgreSQL in ${dir} is in use by another itops process (pid ${owner}); stop it first`);
  }
  logger.warn({ pid, dir }, 'stopping an embedded PostgreSQL left running by a process that is gone');
  // SIGINT is PostgreSQL's fast shutdown: sessions are ended, the shutdown checkpoint is written.
  process.kill(pid, 'SIGINT');
  if (!(await exited(pid, 60_000))) {
    // Immediate shutdown: recovery replays the WAL at the next start, as after a power cut.
    process.kill(pid, 'SIGQUIT');
    if (!(await exited(pid, 10_000))) throw new Error(`the embedded PostgreSQL left running (pid ${pid}) did not stop`);
  }
  await fs.rm(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isAlive(pid);
}

/** The process's arguments, where the system shows them (Linux); undefined elsewhere. */
function processCommandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/**
 * Only a postgres process started on this data directory (`-D dir`) is ever signalled. Without
 * /proc, the pid file's own data-directory line is what is left to go on.
 */
function isPostmasterOf(pid: number, dir: string): boolean {
  const args = processCommandLine(pid);
  if (args === undefined) {
    const lines = readFileSafe(path.join(dir, 'postmaster.pid')).split('\n');
    return path.resolve(lines[1] ?? '') === path.resolve(dir);
  }
  const at = args.indexOf('-D');
  return at >= 0 && path.basename(args[0] ?? '').startsWith('postgres') && path.resolve(args[at + 1] ?? '') === path.resolve(dir);
}

function isNodeProcess(pid: number): boolean {
  const args = processCommandLine(pid);
  return args === undefined || /node|tsx/.test(args[0] ?? '');
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
