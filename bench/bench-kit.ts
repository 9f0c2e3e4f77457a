import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kernel } from '../core/kernel/kernel.ts';
import type { LoadFigures, LoadSpec } from './load-requests.ts';

export interface LoadResult {
  requests: number;
  /** Requests answered during the 1 s warm-up (not in `requests`, but in the server's CPU time). */
  warmupRequests: number;
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
  const args = ['--import', 'tsx', loadScript, url, String(options.seconds ?? 5), String(options.concurrency ?? 32), JSON.stringify(options.headers ?? {})];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited with ${code}`))));
  });
}

/**
 * The baseline: a bare Koa app answering the same small JSON body as /health, in a process of its
 * own so it shares neither event loop nor heap with the kernel it is compared with. It exits when
 * this process closes its stdin (or dies).
 */
export async function startBareKoa(): Promise<{ url: string; cpuMicros: () => Promise<number>; close: () => Promise<void> }> {
  const source = `
    import http from 'node:http';
    import Koa from 'koa';
    const app = new Koa();
    app.use((ctx) => {
      if (ctx.path === '/__cpu') { const { user, system } = process.cpuUsage(); ctx.body = { micros: user + system }; return; }
      ctx.body = { status: 'ok', version: '0.1.0' };
    });
    const server = http.createServer(app.callback());
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
    process.stdin.on('end', () => process.exit(0)).resume();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`the bare Koa server exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    /** CPU time the bare server's process has used so far (to compare CPU per request). */
    cpuMicros: async () => ((await (await fetch(`${url}/__cpu`)).json()) as { micros: number }).micros,
    close: async () => {
      child.stdin.end();
      await exited;
    },
  };
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
  const kernel = await Kernel.start({
    env: {
      ITOPS_PORT: '0',
      ITOPS_HOST: '127.0.0.1',
      ITOPS_LOG_LEVEL: 'warn',
      ITOPS_DATA_DIR: dataDir,
      ITOPS_JWT_SECRET: randomBytes(32).toString('hex'),
      ...(process.env.DATABASE_URL ? {} : { ITOPS_EMBEDDED_DB_PORT: String(await freeDatabasePort()) }),
      ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      // Any bench at wal_level = logical (what the audit plugin's WAL mode needs costs every UPDATE its old row).
      ...(process.env.ITOPS_EMBEDDED_DB_WAL_LEVEL ? { ITOPS_EMBEDDED_DB_WAL_LEVEL: process.env.ITOPS_EMBEDDED_DB_WAL_LEVEL } : {}),
      ...env,
    },
    plugins,
    firstParty: options.firstParty ?? false,
  }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  // The data directory (an embedded PostgreSQL cluster, ~50 MB) is this run's alone: remove it on stop.
  const stop = kernel.stop.bind(kernel);
  kernel.stop = async () => {
    await stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  return kernel;
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** CPU time (user + system, all threads) this process has used so far. */
export function ownCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * CPU time (µs) of every PostgreSQL server process on the machine (user + system, from /proc):
 * the database's share of a request when read before and after a load. Other clusters on the
 * machine count too, so keep them idle; 0 where /proc is missing.
 */
export function postgresCpuMicros(): number {
  let ticks = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
      const fields = stat.slice(close + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return (ticks * 1e6) / clockTicksPerSecond;
}

/** The kernel's USER_HZ, which /proc's times count in: 100 on every Linux build we run on. */
const clockTicksPerSecond = 100;

/** Every request a load sent, its warm-up's and failed ones included: what the CPU it cost is shared by. */
export const loadRequests = (result: LoadResult) => result.requests + result.warmupRequests + result.errors;

/**
 * Runs `run` and adds the CPU time per request it cost the server (read from `serverCpu`: by default
 * this process, where a bench runs its kernel) and PostgreSQL (`postgresCpuMicros`).
 */
export async function withCpu<R>(
  run: () => Promise<R>,
  requestsOf: (result: R) => number,
  serverCpu: () => number | Promise<number> = ownCpuMicros,
): Promise<{ result: R; cpuUsPerRequest: number; dbCpuUsPerRequest: number }> {
  const [server, database] = [await serverCpu(), postgresCpuMicros()];
  const result = await run();
  const requests = Math.max(1, requestsOf(result));
  return { result, cpuUsPerRequest: ((await serverCpu()) - server) / requests, dbCpuUsPerRequest: (postgresCpuMicros() - database) / requests };
}

/** Runs `load` against `url` and adds the server's CPU time per request, read from `cpuMicros`. */
export async function loadWithCpu(url: string, cpuMicros: () => number | Promise<number>, options: Parameters<typeof load>[1] = {}) {
  const { result, cpuUsPerRequest } = await withCpu(() => load(url, options), loadRequests, cpuMicros);
  return { result, cpuUsPerRequest };
}

export function printRows(rows: { name: string; result: LoadResult; cpuUsPerRequest?: number; dbCpuUsPerRequest?: number }[]): void {
  const cpu = rows.some((r) => r.cpuUsPerRequest !== undefined);
  const db = rows.some((r) => r.dbCpuUsPerRequest !== undefined);
  process.stdout.write(
    `${'run'.padEnd(34)}${'req/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'errors'.padStart(8)}${cpu ? 'cpu µs/req'.padStart(12) : ''}${db ? 'db µs/req'.padStart(11) : ''}\n`,
  );
  for (const { name, result, cpuUsPerRequest, dbCpuUsPerRequest } of rows) {
    process.stdout.write(
      `${name.padEnd(34)}${result.rps.toFixed(0).padStart(10)}${result.p50Ms.toFixed(2).padStart(10)}${result.p99Ms.toFixed(2).padStart(10)}${String(result.errors).padStart(8)}${cpu ? (cpuUsPerRequest?.toFixed(1) ?? '').padStart(12) : ''}${db ? (dbCpuUsPerRequest?.toFixed(1) ?? '').padStart(11) : ''}\n`,
    );
  }
}

/** One headline figure of a benchmark, as `npm run bench` tabulates it. */
export interface BenchFigure {
  /** What is measured, e.g. `durable pings/s`. */
  figure: string;
  value: number;
  /** What the value is compared with in the same run, e.g. `bare Koa`. */
  baseline?: string;
  /** value / baseline (or the ratio the figure already is). */
  ratio?: number;
  /** The goal as the issue states it, e.g. `>= 0.75`. */
  goal?: string;
  pass?: boolean;
}

/**
 * Hands the benchmark's headline figures to `npm run bench` (it sets ITOPS_BENCH_REPORT to a file
 * of JSON lines); run on its own, a benchmark only prints its own report.
 */
export function reportFigures(benchmark: string, figures: BenchFigure[]): void {
  const file = process.env.ITOPS_BENCH_REPORT;
  if (!file) return;
  appendFileSync(file, figures.map((f) => `${JSON.stringify({ benchmark, ...f })}\n`).join(''));
}

/** A JSON POST to a server that throws on any answer but 2xx: benches set their world up through the API. */
export const jsonPoster =
  (baseUrl: string) =>
  async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<any> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };

/**
 * Runs the load generator (bench/load-requests.ts) as its own process, so the load does not share
 * the measured server's event loop, and resolves with its figures.
 */
export async function runGenerator(spec: LoadSpec): Promise<LoadFigures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'itops-load-'));
  const file = path.join(dir, 'spec.json');
  await writeFile(file, JSON.stringify(spec));
  const generator = fileURLToPath(new URL('./load-requests.ts', import.meta.url));
  try {
    return await new Promise<LoadFigures>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', generator, file], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`the load generator exited with ${code}`))));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
