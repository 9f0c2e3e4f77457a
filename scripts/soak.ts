/**
 * `npm run soak`: the platform under steady load for a while, to see what drifts. A kernel with the
 * monitoring plugin (embedded PostgreSQL, or DATABASE_URL) takes heartbeat pings and authenticated
 * list reads at once, window after window; after each window it prints the throughput and p99 of
 * both, the server's RSS and heap, and at the end how the last window compares with the first.
 *
 *   SOAK_SECONDS (default 60, at most 86,400), SOAK_WINDOW_SECONDS (default 10), SOAK_CONCURRENCY (default 32)
 *
 * The load runs in child processes (bench/load.ts) against this machine only; the server is this process.
 */
import { randomUUID } from 'node:crypto';
import { jsonPoster, type LoadResult, load, startBenchKernel } from '../bench/bench-kit.ts';
import containersPlugin from '../plugins/containers/plugin.ts';

const bounded = (name: string, fallback: number, max: number) => Math.min(Math.max(Number(process.env[name] ?? fallback) || fallback, 1), max);
const totalSeconds = bounded('SOAK_SECONDS', 60, 86_400);
const windowSeconds = bounded('SOAK_WINDOW_SECONDS', 10, 3600);
const concurrency = bounded('SOAK_CONCURRENCY', 32, 512);

const admin = { email: 'soak@itops.test', password: 'soak admin password' };
const kernel = await startBenchKernel([containersPlugin], { ITOPS_ADMIN_EMAIL: admin.email, ITOPS_ADMIN_PASSWORD: admin.password, ITOPS_LOG_LEVEL: 'error' });
try {
  const post = jsonPoster(kernel.url);
  const session = await post('/api/v1/auth/login', admin);
  const auth = { authorization: `Bearer ${session.token}` };
  // The admin creates the workspace and becomes its msp_admin in the same call.
  await post('/api/v1/tenants', { tenant_id: 'soak', name: 'Soak', plan: 'pro', admin_user_id: session.user.id }, auth);
  const workspace = { ...auth, 'x-workspace-id': 'soak' };
  const heartbeat = await post('/api/v1/heartbeats', { name: 'soak', periodSeconds: 60, graceSeconds: 60 }, { ...workspace, 'idempotency-key': randomUUID() });
  const pingUrl = `${kernel.url}/ping/${heartbeat.uuid}`;
  const listUrl = `${kernel.url}/api/v1/heartbeats?limit=50`;

  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const rows: { at: number; ping: LoadResult; list: LoadResult; rssMb: number; heapMb: number }[] = [];
  process.stdout.write(`soak: ${totalSeconds} s in windows of ${windowSeconds} s, concurrency ${concurrency} per path\n`);
  process.stdout.write('   t (s)   pings/s  ping p99 ms   reads/s  read p99 ms   errors   RSS MB  heap MB\n');
  const started = Date.now();
  while ((Date.now() - started) / 1000 + windowSeconds <= totalSeconds + 0.5) {
    const [ping, list] = await Promise.all([
      load(pingUrl, { seconds: windowSeconds, concurrency }),
      load(listUrl, { seconds: windowSeconds, concurrency: Math.max(1, Math.round(concurrency / 4)), headers: workspace }),
    ]);
    const memory = process.memoryUsage();
    const row = { at: Math.round((Date.now() - started) / 1000), ping, list, rssMb: mb(memory.rss), heapMb: mb(memory.heapUsed) };
    rows.push(row);
    process.stdout.write(
      `${String(row.at).padStart(8)}${String(Math.round(ping.rps)).padStart(10)}${ping.p99Ms.toFixed(1).padStart(13)}${String(Math.round(list.rps)).padStart(10)}` +
        `${list.p99Ms.toFixed(1).padStart(13)}${String(ping.errors + list.errors).padStart(9)}${String(row.rssMb).padStart(9)}${String(row.heapMb).padStart(9)}\n`,
    );
  }
  const [first, last] = [rows[0], rows.at(-1)];
  if (first && last && rows.length > 1) {
    const drift = (a: number, b: number) => `${b >= a ? '+' : ''}${Math.round(((b - a) / Math.max(a, 1e-9)) * 100)} %`;
    process.stdout.write(
      `\nlast window against the first: pings/s ${drift(first.ping.rps, last.ping.rps)}, ping p99 ${drift(first.ping.p99Ms, last.ping.p99Ms)}, ` +
        `reads/s ${drift(first.list.rps, last.list.rps)}, read p99 ${drift(first.list.p99Ms, last.list.p99Ms)}, RSS ${first.rssMb} → ${last.rssMb} MB\n`,
    );
  }
  const errors = rows.reduce((sum, r) => sum + r.ping.errors + r.list.errors, 0);
  process.stdout.write(`${JSON.stringify({ soak: { seconds: totalSeconds, windows: rows.length, errors, rows } })}\n`);
  if (errors > 0) process.exitCode = 1;
} finally {
  await kernel.stop();
}
