import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import { Kernel } from '../core/kernel/kernel.ts';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const loadScript = fileURLToPath(new URL('./load.ts', import.meta.url));

/** Runs bench/load.ts in a child process (its own event loop, not the server's) against `url`. */
export function load(url: string, options: { seconds?: number; concurrency?: number; headers?: Record<string, string> } = {}): Promise<LoadResult> {
  const args = [
    '--import',
    'tsx',
    loadScript,
    url,
    String(options.seconds ?? 5),
    String(options.concurrency ?? 32),
    JSON.stringify(options.headers ?? {}),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited with ${code}`))));
  });
}

/** The baseline: a bare Koa app answering one small JSON body. */
export async function startBareKoa(): Promise<{ url: string; close: () => Promise<void> }> {
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = { status: 'ok', version: '0.1.0' };
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '0.0.0.0', () => probe.close(() => resolve(true)));
  });
}

/** A free port for the embedded PostgreSQL: the first free one of the benches' range 54410-54419. */
export async function freeDatabasePort(): Promise<number> {
  for (let port = 54410; port <= 54419; port++) if (await portIsFree(port)) return port;
  throw new Error('no free port in 54410-54419 for the embedded PostgreSQL; set DATABASE_URL or stop another bench');
}

/** Fails fast when a benchmarked URL does not answer 2xx, so a ratio is never measured on errors. */
export async function expectOk(url: string, headers: Record<string, string> = {}): Promise<void> {
  const response = await fetch(url, { headers });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${body.slice(0, 300)}`);
}

/** The full platform in this process, on its own data directory (embedded PostgreSQL) or DATABASE_URL. */
export async function startBenchKernel(plugins: unknown[], env: Record<string, string> = {}, options: { firstParty?: boolean } = {}): Promise<Kernel> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-bench-'));
  return Kernel.start({
    env: {
      ITOPS_PORT: '0',
      ITOPS_HOST: '127.0.0.1',
      ITOPS_LOG_LEVEL: 'warn',
      ITOPS_DATA_DIR: dataDir,
      ...(process.env.DATABASE_URL ? {} : { ITOPS_EMBEDDED_DB_PORT: String(await freeDatabasePort()) }),
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      ...env,
    },
    plugins,
    firstParty: options.firstParty ?? false,
  });
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export function printRows(rows: { name: string; result: LoadResult }[]): void {
  process.stdout.write(`${'run'.padEnd(34)}${'req/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'errors'.padStart(8)}\n`);
  for (const { name, result } of rows) {
    process.stdout.write(
      `${name.padEnd(34)}${result.rps.toFixed(0).padStart(10)}${result.p50Ms.toFixed(2).padStart(10)}${result.p99Ms.toFixed(2).padStart(10)}${String(result.errors).padStart(8)}\n`,
    );
  }
}
