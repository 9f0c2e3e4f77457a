/**
 * `npm run bench:audit-overhead`: throughput of mutating endpoints with and without the audit
 * plugin, in the same run on the same server and database: a license with and one without `audit`
 * are activated in turn, so the plugin loads and unloads between rounds. With audit, every change
 * gets its record in the workspace's hash chain: written from the WAL after commit (the transaction
 * adds its request's context), or, in trigger mode, captured and written in the same transaction.
 * Two endpoints: the worst case, a plugin's create whose whole work is one INSERT in a transaction
 * (the issue's figure), and a first-party create as users call it (a ticket: its row, SLA targets
 * and its event). Goal: auditing costs at most 10 % of throughput.
 * On its own embedded cluster it also prints, per endpoint, the database functions that took the
 * most time (the capture trigger, the records' check, sealing), per call and per record. Beside the
 * throughput ratio it prints the CPU per request (the server's, and the server's with every
 * PostgreSQL process's) without and with audit, and the CPU auditing adds per request: on a shared
 * machine that figure moves far less between runs than throughput (2026-12-08: 356-385 µs over
 * seven runs of one INSERT whose ratios ranged 0.49-0.67), so compare versions by it.
 *   BENCH_ROUNDS (3), BENCH_SECONDS (4), BENCH_CONCURRENCY (16), BENCH_PROFILE (1: per endpoint, one
 *   more run without and one with audit under the CPU profiler, whose top frames are printed),
 *   ITOPS_AUDIT_CAPTURE (trigger, the platform's default; wal: from the WAL, the embedded cluster at
 *   wal_level = logical)
 * In WAL mode the records are written after commit, about every second: after each load with audit
 * the bench waits until all of its records are written and prints how far behind they were.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateLicenseKeyPair } from '../core/license/license-keys.ts';
import { issueLicense } from '../core/license/license-token.ts';
import { probePlugin } from '../plugins/audit/audit-probe.testkit.ts';
import audit from '../plugins/audit/plugin.ts';
import ticketing from '../plugins/ticketing/plugin.ts';
import { type LoadResult, loadRequests, median, printRows, reportFigures, startBenchKernel, withCpu } from './bench-kit.ts';
import { profiled } from './cpu-profile.ts';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 16);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * POSTs `body` to `url` from a child process (its own event loop), `concurrency` in flight, for
 * `seconds` after a 1 s warm-up; with an `idempotency-key` header, each request gets a new one.
 */
function postLoad(url: string, headers: Record<string, string>, body: string): Promise<LoadResult> {
  const source = `
    import http from 'node:http';
    const [url, seconds, concurrency, headers, body] = process.argv.slice(1);
    const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
    const once = () => new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const fixed = JSON.parse(headers);
      const request = http.request(url, { method: 'POST', agent, headers: { ...fixed, ...(fixed['idempotency-key'] ? { 'idempotency-key': crypto.randomUUID() } : {}), 'content-type': 'application/json' } }, (response) => {
        response.resume();
        response.on('end', () => response.statusCode < 400 ? resolve(Number(process.hrtime.bigint() - started) / 1e6) : reject(new Error('status ' + response.statusCode)));
      });
      request.on('error', reject);
      request.end(body);
    });
    const run = async (ms, latencies) => {
      let errors = 0; let done = 0; const until = Date.now() + ms;
      await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
        while (Date.now() < until) { try { const ms = await once(); done++; latencies?.push(ms); } catch { errors++; } }
      }));
      return { errors, done };
    };
    const warm = await run(1000);
    const latencies = [];
    const started = Date.now();
    const { errors, done } = await run(Number(seconds) * 1000, latencies);
    const elapsed = (Date.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    process.stdout.write(JSON.stringify({ requests: done, warmupRequests: warm.done, errors, seconds: elapsed, rps: done / elapsed, p50Ms: pick(0.5), p99Ms: pick(0.99) }));`;
  const args = ['--input-type=module', '-e', source, url, String(seconds), String(concurrency), JSON.stringify(headers), body];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited with ${code}`))));
  });
}

/** Calls and wall time (µs, waits included) of the database's PL/pgSQL functions so far, with how many audit records exist. */
async function functionTimes(): Promise<{ functions: Map<string, { calls: number; us: number }>; records: number }> {
  const rows = await kernel.database.query<{ funcname: string; calls: string; us: string }>(
    'SELECT funcname, calls, total_time * 1000 AS us FROM pg_stat_user_functions',
  );
  const [count] = await kernel.database.query<{ n: string }>('SELECT count(*) AS n FROM audit_record');
  return { functions: new Map(rows.map((r) => [r.funcname, { calls: Number(r.calls), us: Number(r.us) }])), records: Number(count.n) };
}

/**
 * The functions that took the most time during one endpoint's rounds (with and without audit
 * together), per call and per audit record written meanwhile. Wall time: under load it includes
 * waiting for the CPU and for locks (a ticket's number waits for the previous creation's commit).
 */
function functionReport(endpoint: string, before: Awaited<ReturnType<typeof functionTimes>>, after: Awaited<ReturnType<typeof functionTimes>>): string {
  const written = Math.max(1, after.records - before.records);
  const lines = [...after.functions]
    .map(([name, now]) => {
      const then = before.functions.get(name) ?? { calls: 0, us: 0 };
      return { name, calls: now.calls - then.calls, us: now.us - then.us };
    })
    .filter((f) => f.calls > 0)
    .sort((a, b) => b.us - a.us)
    .slice(0, 6)
    .map(
      (f) =>
        `  ${f.name.padEnd(28)}${String(f.calls).padStart(9)} calls${(f.us / f.calls).toFixed(1).padStart(10)} µs/call${(f.us / written).toFixed(1).padStart(10)} µs/record`,
    );
  return `${endpoint}: database functions over its rounds (${written} audit records written; wall time, waits included)\n${lines.join('\n')}\n`;
}

const vendor = generateLicenseKeyPair();
const kernel = await startBenchKernel([audit, probePlugin, ticketing], {
  ITOPS_ADMIN_EMAIL: 'bench@itops.test',
  ITOPS_ADMIN_PASSWORD: 'bench admin password',
  ITOPS_LICENSE_PUBLIC_KEYS: vendor.publicKey,
  // The platform's default, trigger; ITOPS_AUDIT_CAPTURE=wal measures the other (its embedded cluster at wal_level logical).
  ITOPS_AUDIT_CAPTURE: process.env.ITOPS_AUDIT_CAPTURE ?? 'trigger',
  ...(process.env.ITOPS_AUDIT_CAPTURE && process.env.ITOPS_AUDIT_CAPTURE !== 'trigger' ? { ITOPS_EMBEDDED_DB_WAL_LEVEL: 'logical' } : {}),
});
const call = async (method: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${kernel.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<any>;
};
const rows: { name: string; result: LoadResult; cpuUsPerRequest: number; dbCpuUsPerRequest: number }[] = [];
const ratios = new Map<string, number[]>();
const cpuRatios = new Map<string, number[]>();
const totalCpu = new Map<string, { ratio: number; addedUs: number }[]>();
// The kernel runs in this process and the load in a child: this process's CPU per request is the server's.
const measured = (run: () => Promise<LoadResult>) => withCpu(run, loadRequests);
let records = 0;
let capture = 'unknown';
const profiles: string[] = [];
/** In WAL mode records are written after commit, about every second: how far behind that was when each audited load ended. */
const backlogs: string[] = [];
const recordCount = async () => Number((await kernel.database.query<{ n: string }>('SELECT count(*) AS n FROM audit_record'))[0]?.n ?? 0);
async function backlog(endpoint: string, round: number, before: number, result: LoadResult): Promise<string> {
  const expected = before + result.requests + result.warmupRequests;
  // At least: the license activation's own record (license:updated) may also be written meanwhile.
  const pending = Math.max(0, expected - (await recordCount()));
  const ended = Date.now();
  while ((await recordCount()) < expected && Date.now() - ended < 60_000) await new Promise((resolve) => setTimeout(resolve, 50));
  const seconds = pending / result.rps;
  const caughtUp = Date.now() - ended;
  // Each read decodes the WAL again from the slot's restart point: how far behind it trails.
  const [slot] = await kernel.database.query<{ behind: string }>(
    "SELECT pg_size_pretty(pg_wal_lsn_diff(confirmed_flush_lsn, restart_lsn)) AS behind FROM pg_replication_slots WHERE slot_name LIKE 'itops\\_audit\\_%'",
  );
  return `${endpoint}, round ${round}: ${pending} records still to write when the load ended (${seconds.toFixed(1)} s of it), all written ${caughtUp} ms later${slot ? `; the slot's restart point ${slot.behind} behind its position` : ''}`;
}
const databaseTimes: string[] = [];
try {
  // Where the database's time goes, per function (the capture trigger, the records' check, sealing):
  // on the bench's own embedded cluster only, never a server named by DATABASE_URL.
  const ownCluster = !process.env.DATABASE_URL;
  if (ownCluster) {
    await kernel.database.query("ALTER SYSTEM SET track_functions = 'pl'");
    await kernel.database.query('SELECT pg_reload_conf()');
  }
  const admin = await call('POST', '/api/v1/auth/login', { email: 'bench@itops.test', password: 'bench admin password' });
  const asAdmin = { authorization: `Bearer ${admin.token}` };
  await call('POST', '/api/v1/tenants', { tenant_id: 'bench', name: 'Bench' }, asAdmin);
  await call(
    'POST',
    '/api/v1/users',
    { email: 'ops@bench.test', password: 'ops password 1234', memberships: [{ tenantId: 'bench', role: 'ops_engineer' }] },
    asAdmin,
  );
  await call(
    'POST',
    '/api/v1/users',
    { email: 'owner@bench.test', password: 'owner password 12', memberships: [{ tenantId: 'bench', role: 'msp_admin' }] },
    asAdmin,
  );
  const ops = await call('POST', '/api/v1/auth/login', { email: 'ops@bench.test', password: 'ops password 1234' });
  const owner = await call('POST', '/api/v1/auth/login', { email: 'owner@bench.test', password: 'owner password 12' });
  const license = async (plugins: string[]) =>
    call('POST', '/api/v1/license/activate', { licenseKey: await issueLicense(vendor.privateJwk, { customer: 'Bench', plugins }) }, asAdmin);
  const headers = { authorization: `Bearer ${ops.token}` };
  const endpoints = [
    {
      name: 'one INSERT',
      url: `${kernel.url}/api/v1/audit-probe/things`,
      body: JSON.stringify({ name: 'router', smtpLogin: 'secret-login', webhookSecret: 'whsec_x', settings: { colour: 'blue' } }),
    },
    {
      name: 'create ticket',
      url: `${kernel.url}/api/v1/tickets`,
      body: JSON.stringify({ title: 'Printer on the third floor is offline', description: 'Paper jam, then no network.', priority: 'high', tags: ['printer'] }),
      headers: { 'idempotency-key': 'a new one each time' },
    },
  ];
  const unaudited = ['auditprobe', 'ticketing'];
  const audited = [...unaudited, 'audit'];

  for (const endpoint of endpoints) {
    ratios.set(endpoint.name, []);
    cpuRatios.set(endpoint.name, []);
    totalCpu.set(endpoint.name, []);
    const load = () => postLoad(endpoint.url, { ...headers, ...endpoint.headers }, endpoint.body);
    const functionsBefore = ownCluster ? await functionTimes() : undefined;
    for (let round = 1; round <= rounds; round++) {
      // Alternating which goes first (the server keeps warming up over the run), after a warm-up round.
      const run = async (plugins: string[]) => {
        await license(plugins);
        const before = await recordCount();
        const measurement = await measured(load);
        if (plugins.includes('audit')) backlogs.push(await backlog(endpoint.name, round, before, measurement.result));
        return measurement;
      };
      if (round === 1) await run(audited);
      const first = round % 2 === 1 ? await run(unaudited) : await run(audited);
      const second = round % 2 === 1 ? await run(audited) : await run(unaudited);
      const [without, withAudit] = round % 2 === 1 ? [first, second] : [second, first];
      if (without.result.errors > 0 || withAudit.result.errors > 0) throw new Error('errors during the load');
      rows.push(
        { name: `${endpoint.name}, round ${round}: without audit`, ...without },
        { name: `${endpoint.name}, round ${round}: with audit`, ...withAudit },
      );
      ratios.get(endpoint.name)?.push(withAudit.result.rps / without.result.rps);
      cpuRatios.get(endpoint.name)?.push(without.cpuUsPerRequest / withAudit.cpuUsPerRequest);
      const total = (m: typeof without) => m.cpuUsPerRequest + m.dbCpuUsPerRequest;
      totalCpu.get(endpoint.name)?.push({ ratio: total(without) / total(withAudit), addedUs: total(withAudit) - total(without) });
    }
    if (functionsBefore) databaseTimes.push(functionReport(endpoint.name, functionsBefore, await functionTimes()));
    if (process.env.BENCH_PROFILE === '1') {
      for (const [label, plugins] of [
        ['without audit', unaudited],
        ['with audit', audited],
      ] as const) {
        await license(plugins);
        const { result, report } = await profiled(`audit-overhead-${label.replace(/ /g, '-')}`, load, loadRequests);
        profiles.push(`${endpoint.name}, ${label}, under the profiler: ${result.rps.toFixed(0)} requests/s\n${report}`);
      }
    }
  }
  await license(audited);
  capture = (await kernel.database.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name LIKE 'itops\\_audit\\_%'"))[0].n
    ? 'wal (records written from the WAL after commit)'
    : 'trigger (records written in the changing transaction)';
  const verification = await call('GET', '/api/v1/audit/verification', undefined, { authorization: `Bearer ${owner.token}` });
  if (!verification.valid) throw new Error(`the chain written under load does not verify: ${JSON.stringify(verification)}`);
  records = verification.checked;
} finally {
  await kernel.stop();
}
printRows(rows);
process.stdout.write(`\naudit capture: ${capture}\n${backlogs.join('\n')}\n`);
for (const report of databaseTimes) process.stdout.write(`\n${report}`);
for (const profile of profiles) process.stdout.write(`\n${profile}\n`);
const figures = [...ratios].map(([name, values]) => ({
  name,
  ratio: median(values),
  cpuRatio: median(cpuRatios.get(name) ?? []),
  totalCpuRatio: median((totalCpu.get(name) ?? []).map((c) => c.ratio)),
  addedCpuUs: median((totalCpu.get(name) ?? []).map((c) => c.addedUs)),
}));
process.stdout.write('\n');
for (const { name, ratio, cpuRatio, totalCpuRatio, addedCpuUs } of figures) {
  process.stdout.write(
    `${name}: with audit / without ${ratio.toFixed(2)} -> auditing costs ${((1 - ratio) * 100).toFixed(0)} % of throughput (median of ${rounds}; goal <= 10 %); server CPU per request, without / with audit: ${cpuRatio.toFixed(2)}; server and database CPU: ${totalCpuRatio.toFixed(2)}, auditing adds ${addedCpuUs.toFixed(0)} µs per request\n`,
  );
}
process.stdout.write(
  `${records} records written, chain verified. The CPU ratios are the throughput ratio if both were CPU-bound and less sensitive to neighbours; the server's leaves the database out, the other counts every PostgreSQL process on this machine. To compare two versions on a noisy machine, the CPU auditing adds per request moves least.\n`,
);
reportFigures(
  'audit-overhead',
  figures.map(({ name, ratio }) => ({
    figure: `${name}: requests/s with audit / without`,
    value: ratio,
    baseline: 'same endpoint, audit unloaded',
    ratio,
    goal: '>= 0.9',
    pass: ratio >= 0.9,
  })),
);
