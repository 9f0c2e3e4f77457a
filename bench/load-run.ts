/**
 * `npm run load -- <path|all> [--rate N] [--seconds S] [--concurrency C] [--url URL]`: load on one
 * public ingest path (pings, operator-sync, telemetry, alertmanager, remote-write, github; `all`
 * runs each in turn). Prints requests/s, p50/p99, errors and the count of each status, then one
 * JSON line per path. Exits 1 when any request failed or answered another status than the path's.
 *
 * Without --url it boots its own server (every first-party plugin, embedded PostgreSQL in a temporary
 * directory, or DATABASE_URL). With --url it sets its world up on that server through the API:
 * ITOPS_LOAD_EMAIL / ITOPS_LOAD_PASSWORD sign in; with ITOPS_LOAD_WORKSPACE they must be an msp_admin
 * of that workspace, without it a platform admin (a workspace `load-…` is created).
 * ITOPS_LOAD_ALERTMANAGER_AUTH is the Authorization header the Alertmanager receiver wants, if any.
 * The load itself comes from a child process (bench/load-requests.ts), never the server's event loop.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { runGenerator, startBenchKernel } from './bench-kit.ts';
import { type IngestPath, ingestPaths, type LoadWorld } from './load-paths.ts';

const usage = `usage: npm run load -- <${ingestPaths.map((p) => p.name).join('|')}|all> [--rate N] [--seconds S] [--concurrency C] [--url URL]\n${ingestPaths
  .map((p) => `  ${p.name.padEnd(14)} ${p.description}`)
  .join('\n')}\n`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rate: { type: 'string' }, seconds: { type: 'string' }, concurrency: { type: 'string' }, url: { type: 'string' }, help: { type: 'boolean' } },
});
const bounded = (text: string | undefined, fallback: number, max: number) => {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`expected a whole number from 1 to ${max}, got ${text}`);
  return n;
};
const chosen = positionals[0] === 'all' ? ingestPaths : ingestPaths.filter((p) => p.name === positionals[0]);
if (values.help || chosen.length === 0) {
  process.stderr.write(usage);
  process.exit(values.help ? 0 : 2);
}
const seconds = bounded(values.seconds, 5, 3600);
const concurrency = bounded(values.concurrency, 16, 1024);
const rate = values.rate === undefined ? undefined : bounded(values.rate, 1, 1_000_000);

function poster(base: string) {
  return async (route: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(new URL(route, base), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${route} answered ${response.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : {};
  };
}

/** Signs in and finds (or makes) the workspace the load goes to. */
async function worldOn(base: string, email: string, password: string, existing?: string): Promise<LoadWorld> {
  const post = poster(base);
  const session = await post('/api/v1/auth/login', { email, password });
  const auth = { authorization: `Bearer ${session.token}` };
  const workspace = existing ?? `load-${randomBytes(4).toString('hex')}`;
  // The platform admin becomes the new workspace's msp_admin in the same call.
  if (!existing) await post('/api/v1/tenants', { tenant_id: workspace, name: 'Load', plan: 'pro', admin_user_id: session.user.id }, auth);
  return { base, workspace, admin: { ...auth, 'x-workspace-id': workspace }, post, alertmanagerAuthorization: process.env.ITOPS_LOAD_ALERTMANAGER_AUTH };
}

async function drive(world: LoadWorld, ingest: IngestPath): Promise<boolean> {
  const requests = await ingest.prepare(world);
  const figures = await runGenerator({ base: world.base, requests, seconds, concurrency, rate });
  const unexpected = Object.entries(figures.statuses)
    .filter(([status]) => !ingest.expected.includes(Number(status)))
    .reduce((sum, [, count]) => sum + count, 0);
  const statuses = Object.entries(figures.statuses)
    .map(([status, count]) => `${status === '0' ? 'no answer' : status}: ${count}`)
    .join(', ');
  process.stdout.write(
    `${ingest.name.padEnd(14)} ${figures.rps.toFixed(0).padStart(7)} req/s  p50 ${figures.p50Ms.toFixed(1).padStart(7)} ms  p99 ${figures.p99Ms.toFixed(1).padStart(7)} ms  ` +
      `errors ${figures.errors}${rate ? `  late ${figures.late}` : ''}  (${statuses})\n`,
  );
  process.stdout.write(`${JSON.stringify({ load: { path: ingest.name, url: world.base, concurrency, rate: rate ?? null, ...figures, unexpected } })}\n`);
  return figures.errors === 0 && unexpected === 0 && figures.requests > 0;
}

async function main(): Promise<boolean> {
  process.stdout.write(`load: ${seconds} s per path after 1 s warm-up, ${rate ? `${rate} requests/s, at most ` : ''}${concurrency} in flight\n`);
  if (values.url) {
    const email = process.env.ITOPS_LOAD_EMAIL;
    const password = process.env.ITOPS_LOAD_PASSWORD;
    if (!email || !password) throw new Error('with --url, set ITOPS_LOAD_EMAIL and ITOPS_LOAD_PASSWORD (and ITOPS_LOAD_WORKSPACE for an existing workspace)');
    const world = await worldOn(values.url, email, password, process.env.ITOPS_LOAD_WORKSPACE || undefined);
    let ok = true;
    for (const ingest of chosen) ok = (await drive(world, ingest)) && ok;
    return ok;
  }
  const admin = { email: 'load@itops.test', password: `load-${randomUUID()}` };
  const kernel = await startBenchKernel(
    [],
    { ITOPS_ADMIN_EMAIL: admin.email, ITOPS_ADMIN_PASSWORD: admin.password, ITOPS_LOG_LEVEL: 'error' },
    { firstParty: true },
  );
  try {
    const { port } = kernel.server.address() as { port: number };
    const world = await worldOn(`http://127.0.0.1:${port}`, admin.email, admin.password);
    let ok = true;
    for (const ingest of chosen) ok = (await drive(world, ingest)) && ok;
    return ok;
  } finally {
    await kernel.stop();
  }
}

main().then(
  (ok) => {
    process.exitCode = ok ? 0 : 1;
  },
  (error: Error) => {
    process.stderr.write(`load: ${error.message}\n`);
    process.exitCode = 1;
  },
);
