import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
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

/** Runs bench/load.ts in a child process against `url`. */
export function load(url: string, options: { seconds?: number; concurrency?: number; headers?: Record<string, string> } = {}): Promise<LoadResult> {
  const args = [
    '--import',
    'tsx',
    'bench/load.ts',
    url,
    String(options.seconds ?? 5),
    String(options.concurrency ?? 32),
    JSON.stringify(options.headers ?? {}),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
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

/** The full platform in this process, on its own data directory (embedded PostgreSQL) or DATABASE_URL. */
export async function startBenchKernel(plugins: unknown[], env: Record<string, string> = {}): Promise<Kernel> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-bench-'));
  return Kernel.start({
    env: {
      ITOPS_PORT: '0',
      ITOPS_HOST: '127.0.0.1',
      ITOPS_LOG_LEVEL: 'warn',
      ITOPS_DATA_DIR: dataDir,
      ITOPS_EMBEDDED_DB_PORT: String(54500 + Math.floor(Math.random() * 400)),
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      ...env,
    },
    plugins,
    firstParty: false,
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
