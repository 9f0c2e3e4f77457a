/**
 * `npm run bench:pings`: durable heartbeat pings per second through `GET /ping/{uuid}` (each ping
 * stored and its heartbeat updated, answered only after the commit: group commit), against a naive
 * handler (per ping a transaction: lock the heartbeat, insert the ping, update the heartbeat,
 * commit), the group commit's own SQL with one ping per transaction ("unbatched"), and a bare Koa
 * route, in the same run, interleaved (3 rounds after 1 uncounted warm-up round), over 1,000 heartbeats. The load generator is
 * this file in a child process (`--load`), cycling through the heartbeats' uuids.
 * Afterwards it checks that every acknowledged ping is in the database, and times the deadline
 * evaluation of 100,000 heartbeats (idle, all going late at once, all going down at once).
 *   BENCH_ROUNDS (3), BENCH_WARMUP_ROUNDS (1), BENCH_SECONDS (5, after a 1 s warm-up), BENCH_CONCURRENCY (64),
 *   BENCH_SWEEP_ROUNDS (3: rounds of each 100,000-heartbeat sweep, after one uncounted),
 *   BENCH_HEARTBEATS (1000), BENCH_PROFILE (1: one more, uncounted group-commit run under the CPU
 *   profiler, whose top frames are printed; cpu-profile.ts)
 * Goals: >= 5,000 durable pings/s, >= 5x the naive handler, >= 20 % of the bare route (medians).
 * Exits 1 when a request failed, a ping was lost, or a goal is missed.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DatabaseService, definePlugin, type PluginManifest, tokens } from '../core/plugin-api/index.ts';
import { servicesProbe } from '../core/plugin-api/testing.ts';
import { unscopedEventsToken } from '../core/kernel/plugin-names.ts';
import { HeartbeatDeadlines } from '../plugins/containers/heartbeats/heartbeat-deadlines.ts';
import { type HeartbeatRow, rulesOf, stateColumns, stateOf } from '../plugins/containers/heartbeats/heartbeat-rows.ts';
import { type IncomingPing, type PingAck, PingStore, uuidv7 } from '../plugins/containers/heartbeats/ping-ingest.ts';
import { pingHandlers } from '../plugins/containers/heartbeats/ping.handlers.ts';
import { applyPing } from '../plugins/containers/heartbeats/ping-semantics.ts';
import containersPlugin from '../plugins/containers/plugin.ts';
import { median, ownCpuMicros, reportFigures, startBareKoa, startBenchKernel } from './bench-kit.ts';
import { profiled } from './cpu-profile.ts';
import { rawLoad } from './raw-http-load.ts';

interface PingLoad {
  requests: number;
  acknowledged: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

const self = fileURLToPath(import.meta.url);

/** The child: keeps `concurrency` keep-alive GETs in flight on base + paths[i % n] for 1 s + `seconds` (raw-http-load.ts; BENCH_LOADGEN=node-http for Node's client). */
async function loadGenerator(base: string, pathsFile: string, seconds: number, concurrency: number): Promise<void> {
  const target = new URL(base);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) throw new Error('the load generator only targets this machine');
  const paths = JSON.parse(readFileSync(pathsFile, 'utf8')) as string[];
  if (process.env.BENCH_LOADGEN !== 'node-http') {
    process.stdout.write(`${JSON.stringify(await rawLoad(base, paths, seconds, concurrency))}\n`);
    return;
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  let acknowledged = 0;
  const once = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const request = http.request(new URL(paths[next++ % paths.length], target), { agent }, (response) => {
        response.resume();
        response.on('end', () => {
          if (response.statusCode === 200) {
            acknowledged += 1;
            resolve(Number(process.hrtime.bigint() - started) / 1e6);
          } else reject(new Error(`status ${response.statusCode}`));
        });
      });
      request.on('error', reject);
      request.end();
    });
  const run = async (durationMs: number, latencies: number[] | null) => {
    let errors = 0;
    const until = Date.now() + durationMs;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) {
          try {
            const ms = await once();
            latencies?.push(ms);
          } catch {
            errors += 1;
          }
        }
      }),
    );
    return errors;
  };
  let errors = await run(1000, null);
  const latencies: number[] = [];
  const started = Date.now();
  errors += await run(seconds * 1000, latencies);
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const result: PingLoad = {
    requests: latencies.length,
    acknowledged,
    errors,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50Ms: pick(0.5),
    p99Ms: pick(0.99),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  agent.destroy();
}

function load(base: string, pathsFile: string, seconds: number, concurrency: number): Promise<PingLoad> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, '--load', base, pathsFile, String(seconds), String(concurrency)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited with ${code}`))));
  });
}

/**
 * The naive handler, as one writes it without group commit: per ping, a transaction that locks the
 * heartbeat, inserts the ping, updates the heartbeat (and its status history), and commits; the
 * same rules (applyPing). Besides it, the "unbatched" route runs the group commit's own SQL with
 * one ping per transaction, to show what batching adds beyond the statements themselves.
 */
async function naiveCommit(database: DatabaseService, ping: IncomingPing): Promise<PingAck> {
  return database.platform.transaction(async ({ query: sql }) => {
    const [row] = await sql<HeartbeatRow>('SELECT * FROM heartbeat WHERE ping_uuid = ? FOR UPDATE', [ping.uuid]);
    if (!row) return null;
    const id = uuidv7(ping.at.getTime());
    const outcome = applyPing(rulesOf(row), stateOf(row), { id, kind: ping.kind, exitCode: ping.exitCode, rid: ping.rid, at: ping.at });
    await sql(
      `INSERT INTO heartbeat_ping (id, tenant_id, heartbeat_id, kind, received_at, exit_code, rid, duration_ms, start_ping_id, method, remote_addr, user_agent, body, body_bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        row.tenant_id,
        row.id,
        ping.kind,
        ping.at.toISOString(),
        ping.exitCode,
        ping.rid,
        outcome.durationMs,
        outcome.startPingId,
        ping.method,
        ping.remoteAddr,
        ping.userAgent,
        ping.body,
        ping.bodyBytes,
      ],
    );
    const c = stateColumns(outcome.state);
    await sql(
      `UPDATE heartbeat SET status = ?, status_reason = ?, last_ping_at = ?, last_ping_kind = ?, open_runs = ?::jsonb, last_duration_ms = ?, last_exit_code = ?,
         ping_count = ?, expected_at = ?, down_at = ?, due_at = ? WHERE id = ?`,
      [
        c.status,
        c.status_reason,
        c.last_ping_at,
        c.last_ping_kind,
        JSON.stringify(c.open_runs),
        c.last_duration_ms,
        c.last_exit_code,
        c.ping_count,
        c.expected_at,
        c.down_at,
        c.due_at,
        row.id,
      ],
    );
    if (outcome.flip) {
      await sql('INSERT INTO heartbeat_flip (tenant_id, heartbeat_id, at, from_status, to_status, reason) VALUES (?, ?, ?, ?, ?, ?)', [
        row.tenant_id,
        row.id,
        ping.at.toISOString(),
        outcome.flip.from,
        outcome.flip.to,
        outcome.flip.reason,
      ]);
    }
    return { heartbeatId: row.id };
  });
}

function naivePlugin(): PluginManifest {
  const operation = (operationId: string) => ({
    operationId,
    'x-public': true,
    security: [],
    parameters: [{ name: 'uuid', in: 'path', required: true, schema: { type: 'string', maxLength: 100 } }],
    responses: {
      '200': { description: 'Stored.', content: { 'text/plain': { schema: { type: 'string' } } } },
      '400': { $ref: '#/components/responses/BadRequest' },
      '404': { $ref: '#/components/responses/NotFound' },
    },
  });
  return definePlugin({
    id: 'naive_pings',
    version: '1.0.0',
    host: '>=0.1.0 <1.0.0',
    openapi: {
      openapi: '3.1.0',
      info: { title: 'naive pings (bench only)', version: '1.0.0' },
      paths: {
        '/bench/naive-ping/{uuid}': { get: operation('benchNaivePing') },
        '/bench/unbatched-ping/{uuid}': { get: operation('benchUnbatchedPing') },
      },
    },
    init(ctx) {
      const database = ctx.get(tokens.database);
      // The store publishes containers' topics, which this plugin does not own: the unscoped events service of the test kit.
      const store = new PingStore({ database, events: ctx.get(unscopedEventsToken), alerts: ctx.get(tokens.alerts) });
      const clock = () => new Date();
      ctx.handle('benchNaivePing', pingHandlers({ submit: (ping) => naiveCommit(database, ping), clock }).pingSuccess);
      const unbatched = async (ping: IncomingPing) => {
        const [result] = await store.commit([ping]);
        if (result instanceof Error) throw result;
        return result;
      };
      ctx.handle('benchUnbatchedPing', pingHandlers({ submit: unbatched, clock }).pingSuccess);
    },
  });
}

const clamp = (value: number, min: number, max: number) => Math.min(Math.max(value, min), max);

/**
 * CPU time PostgreSQL has used so far, when it runs on this machine (the embedded server): the
 * postmaster's own and reaped children's time plus its live backends' (Linux /proc; clock ticks of
 * 10 ms). Null elsewhere. With the server process's own CPU it gives the CPU a ping costs in all.
 */
function postgresCpu(port: string): (() => number) | null {
  const stat = (pid: string) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /, '')
        .split(' ');
      return { ppid: fields[1], ticks: fields.slice(11, 15).map(Number) };
    } catch {
      return null;
    }
  };
  let postmaster: string | undefined;
  try {
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmdline[0]?.endsWith('/postgres') && cmdline.includes('-p') && cmdline[cmdline.indexOf('-p') + 1] === port) postmaster = pid;
    }
  } catch {
    return null;
  }
  if (!postmaster) return null;
  const root = postmaster;
  return () => {
    const own = stat(root);
    if (!own) return 0;
    let ticks = own.ticks[0] + own.ticks[1] + own.ticks[2] + own.ticks[3];
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      const child = stat(pid);
      if (child?.ppid === root) ticks += child.ticks[0] + child.ticks[1];
    }
    return ticks * 10_000;
  };
}

async function main(): Promise<void> {
  const rounds = clamp(Number(process.env.BENCH_ROUNDS ?? 3), 1, 20);
  const warmupRounds = clamp(Number(process.env.BENCH_WARMUP_ROUNDS ?? 1), 0, 5);
  const sweepRounds = clamp(Number(process.env.BENCH_SWEEP_ROUNDS ?? 3), 1, 9);
  const seconds = clamp(Number(process.env.BENCH_SECONDS ?? 5), 1, 60);
  const concurrency = clamp(Number(process.env.BENCH_CONCURRENCY ?? 64), 1, 512);
  const heartbeatCount = clamp(Number(process.env.BENCH_HEARTBEATS ?? 1000), 1, 100_000);
  const goals = { pingsPerSecond: 5000, overNaive: 5, ofBare: 0.2 };
  const requestPathGoals = { pingsPerSecond: 10_000, ofBare: 0.4 };

  const bare = await startBareKoa();
  const probe = servicesProbe('bench_probe');
  // Jobs off: this bench drives the deadline evaluator itself, without the plugin's own loop.
  const kernel = await startBenchKernel([containersPlugin, naivePlugin(), probe.plugin], { ITOPS_JOBS_ENABLED: 'false' });
  const { database, events } = probe.services();
  let failed = false;
  const pathFiles: string[] = [];
  const rows: { name: string; result: PingLoad; cpuUsPerPing: number; pgUsPerPing: number | null }[] = [];
  const ratios = { naive: [] as number[], unbatched: [] as number[], bare: [] as number[], rps: [] as number[] };
  let profile = '';
  try {
    const [{ synchronous_commit }] = await database.platform.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    const [{ fsync }] = await database.platform.query<{ fsync: string }>('SHOW fsync');
    const [{ wal_level }] = await database.platform.query<{ wal_level: string }>('SHOW wal_level');
    await database.platform.query(`INSERT INTO tenant (tenant_id, name) VALUES ('bench', 'Bench') ON CONFLICT DO NOTHING`);
    const now = new Date();
    const uuids = await database.platform.query<{ ping_uuid: string }>(
      `INSERT INTO heartbeat (id, tenant_id, ping_uuid, name, kind, period_seconds, grace_seconds, status, last_ping_at, expected_at, down_at, due_at)
       SELECT gen_random_uuid(), 'bench', gen_random_uuid(), 'ping bench ' || i, 'period', 86400, 3600, 'up', ?::timestamptz,
              ?::timestamptz + interval '1 day', ?::timestamptz + interval '25 hours', ?::timestamptz + interval '1 day'
       FROM generate_series(1, ?) i RETURNING ping_uuid`,
      [now.toISOString(), now.toISOString(), now.toISOString(), now.toISOString(), heartbeatCount],
    );
    const pathsFile = (kind: string, prefix: string) => {
      const file = path.join(os.tmpdir(), `itops-bench-pings-${process.pid}-${kind}.json`);
      pathFiles.push(file);
      writeFileSync(file, JSON.stringify(uuids.map((u) => `${prefix}${u.ping_uuid}`)));
      return file;
    };
    const files = {
      group: pathsFile('group', '/ping/'),
      naive: pathsFile('naive', '/bench/naive-ping/'),
      unbatched: pathsFile('unbatched', '/bench/unbatched-ping/'),
      bare: pathsFile('bare', '/ping/'),
    };
    for (const [name, file, base] of [
      ['group', files.group, kernel.url],
      ['naive', files.naive, kernel.url],
      ['unbatched', files.unbatched, kernel.url],
    ] as const) {
      const first = JSON.parse(readFileSync(file, 'utf8'))[0] as string;
      const answer = await fetch(`${base}${first}`);
      if (answer.status !== 200) throw new Error(`${name}: ${first} answered ${answer.status}: ${await answer.text()}`);
    }
    let acknowledged = 3;

    const pgCpu = process.env.DATABASE_URL ? null : postgresCpu(new URL(kernel.database.url).port);
    const measure = async (name: string, base: string, file: string, cpu: () => number | Promise<number>, database = true) => {
      const before = await cpu();
      const pgBefore = database ? pgCpu?.() : undefined;
      const result = await load(base, file, seconds, concurrency);
      const after = await cpu();
      const pgAfter = database ? pgCpu?.() : undefined;
      const pings = Math.max(1, result.acknowledged + result.errors);
      const pgUsPerPing = pgBefore !== undefined && pgAfter !== undefined ? (pgAfter - pgBefore) / pings : null;
      const row = { name, result, cpuUsPerPing: (after - before) / pings, pgUsPerPing };
      rows.push(row);
      if (result.errors > 0) failed = true;
      return row;
    };
    // Warm-up rounds (not counted) first: every route's code is compiled, its heartbeats' first
    // pings are in, and PostgreSQL's caches hold what the measured rounds touch, for all routes alike.
    for (let round = 1 - warmupRounds; round <= rounds; round++) {
      const label = round < 1 ? 'warm-up (not counted)' : `round ${round}`;
      const b = await measure(`${label}: bare Koa`, bare.url, files.bare, bare.cpuMicros, false);
      const g = await measure(`${label}: /ping/{uuid} group commit`, kernel.url, files.group, ownCpuMicros);
      const n = await measure(`${label}: naive, 1 transaction/ping`, kernel.url, files.naive, ownCpuMicros);
      const u = await measure(`${label}: unbatched (same SQL, 1 ping/tx)`, kernel.url, files.unbatched, ownCpuMicros);
      acknowledged += g.result.acknowledged + n.result.acknowledged + u.result.acknowledged;
      if (round < 1) continue;
      ratios.unbatched.push(g.result.rps / u.result.rps);
      ratios.rps.push(g.result.rps);
      ratios.naive.push(g.result.rps / n.result.rps);
      ratios.bare.push(g.result.rps / b.result.rps);
    }

    if (process.env.BENCH_PROFILE === '1') {
      const { result, report } = await profiled(
        'pings',
        () => load(kernel.url, files.group, seconds, concurrency),
        (r) => r.acknowledged + r.errors,
      );
      acknowledged += result.acknowledged;
      profile = `group commit under the profiler: ${result.rps.toFixed(0)} pings/s\n${report}`;
    }

    const [{ count: stored }] = await database.platform.query<{ count: string }>('SELECT count(*) AS count FROM heartbeat_ping');
    const [{ pings }] = await database.platform.query<{ pings: string }>(`SELECT sum(ping_count) AS pings FROM heartbeat WHERE tenant_id = 'bench'`);
    const lost = acknowledged - Number(stored);
    if (lost !== 0 || Number(pings) !== Number(stored)) failed = true;

    // Deadline evaluation of 100,000 heartbeats, in the database.
    const noAlerts = {
      get: async () => null,
      countFiring: async () => 0,
      raise: async () => ({}) as never,
      resolve: async () => null,
      raiseMany: async () => [],
      resolveMany: async () => [],
    };
    const evaluator = new HeartbeatDeadlines({ database, events, alerts: noAlerts, clock: () => new Date() });
    // Publishes nothing: the sweep's status and history alone (the evaluator publishes with publishMany).
    const withoutEvents = new HeartbeatDeadlines({
      database,
      events: { ...events, publish: async () => '0', publishMany: async () => [] },
      alerts: noAlerts,
      clock: () => new Date(),
    });
    await database.platform.query(`DELETE FROM heartbeat WHERE tenant_id = 'bench'`);
    const total = 100_000;
    const at = new Date();
    // Last pings spread over the past hour; period 1 h, grace 5 min: deadlines spread over the next hour.
    const arm = `status = 'up', status_reason = NULL, expected_at = last_ping_at + interval '1 hour',
      down_at = last_ping_at + interval '1 hour 5 minutes', due_at = last_ping_at + interval '1 hour'`;
    await database.platform.query(
      `INSERT INTO heartbeat (id, tenant_id, ping_uuid, name, kind, period_seconds, grace_seconds, status, last_ping_at)
       SELECT gen_random_uuid(), 'bench', gen_random_uuid(), 'deadline bench ' || i, 'period', 3600, 300, 'up',
              ?::timestamptz - interval '1 hour' + make_interval(secs => 1 + i % 3600)
       FROM generate_series(1, ?) i`,
      [at.toISOString(), total],
    );
    await database.platform.query(`UPDATE heartbeat SET ${arm} WHERE tenant_id = 'bench'`);
    await database.platform.query('VACUUM ANALYZE heartbeat');
    const timed = async <T>(fn: () => Promise<T>) => {
      const started = process.hrtime.bigint();
      const result = await fn();
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
    };
    const idle: number[] = [];
    for (let i = 0; i < 5; i++) idle.push((await timed(() => evaluator.evaluate(at))).ms);
    // A steady tick: the deadlines of the next two seconds (about 56 heartbeats) pass.
    const tick = await timed(() => evaluator.evaluate(new Date(at.getTime() + 2_000)));
    // Every deadline and grace passes at once (e.g. after a network cut): all 100,000 go down. One
    // uncounted sweep first, then interleaved rounds of both kinds (medians): the first sweep over
    // freshly written rows cost 10-20 % more than the next, whichever kind it was.
    const allDown = new Date(at.getTime() + 4000_000);
    const sweepAllDown = async (sweeper: HeartbeatDeadlines) => {
      await database.platform.query(`DELETE FROM heartbeat_flip`);
      await database.platform.query(`DELETE FROM event_outbox WHERE topic = 'heartbeat.deadline_missed'`);
      await database.platform.query(`UPDATE heartbeat SET ${arm} WHERE tenant_id = 'bench'`);
      await database.platform.query('VACUUM ANALYZE heartbeat, heartbeat_flip, event_outbox');
      const sweep = await timed(() => sweeper.evaluate(allDown));
      const [{ downCount, eventCount }] = await database.platform.query<{ downCount: string; eventCount: string }>(
        `SELECT (SELECT count(*) FROM heartbeat WHERE tenant_id = 'bench' AND status = 'down') AS "downCount",
                (SELECT count(*) FROM event_outbox WHERE topic = 'heartbeat.deadline_missed') AS "eventCount"`,
      );
      return { ...sweep, downCount: Number(downCount), eventCount: Number(eventCount) };
    };
    await sweepAllDown(evaluator);
    const sweeps: Record<'sqlOnly' | 'withEvents', Awaited<ReturnType<typeof sweepAllDown>>[]> = { sqlOnly: [], withEvents: [] };
    for (let round = 0; round < sweepRounds; round++) {
      for (const kind of round % 2 === 0 ? (['sqlOnly', 'withEvents'] as const) : (['withEvents', 'sqlOnly'] as const)) {
        sweeps[kind].push(await sweepAllDown(kind === 'sqlOnly' ? withoutEvents : evaluator));
      }
    }
    const medianSweep = (list: Awaited<ReturnType<typeof sweepAllDown>>[]) => [...list].sort((a, b) => a.ms - b.ms)[Math.floor(list.length / 2)];
    const sqlOnly = medianSweep(sweeps.sqlOnly);
    const withEvents = medianSweep(sweeps.withEvents);
    // Every sweep must have moved every heartbeat, the evented one published an event for each, the other none.
    if (
      [...sweeps.sqlOnly, ...sweeps.withEvents].some((sweep) => sweep.downCount !== total) ||
      sweeps.withEvents.some((sweep) => sweep.eventCount !== total) ||
      sweeps.sqlOnly.some((sweep) => sweep.eventCount !== 0)
    ) {
      failed = true;
    }

    process.stdout.write(
      `${heartbeatCount} heartbeats, concurrency ${concurrency}, ${seconds} s per run after a 1 s warm-up, ${rounds} interleaved rounds after ${warmupRounds} uncounted; ` +
        `PostgreSQL fsync=${fsync}, synchronous_commit=${synchronous_commit}, wal_level=${wal_level}\n\n`,
    );
    process.stdout.write(
      `${'run'.padEnd(42)}${'pings/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}${'errors'.padStart(8)}${'server µs'.padStart(11)}${'pg µs'.padStart(8)}${'total µs'.padStart(10)}\n`,
    );
    for (const { name, result, cpuUsPerPing, pgUsPerPing } of rows) {
      const pg = pgUsPerPing === null ? '' : pgUsPerPing.toFixed(0);
      const total = pgUsPerPing === null ? '' : (cpuUsPerPing + pgUsPerPing).toFixed(0);
      process.stdout.write(
        `${name.padEnd(42)}${result.rps.toFixed(0).padStart(10)}${result.p50Ms.toFixed(2).padStart(10)}${result.p99Ms.toFixed(2).padStart(10)}${String(result.errors).padStart(8)}` +
          `${cpuUsPerPing.toFixed(0).padStart(11)}${pg.padStart(8)}${total.padStart(10)}\n`,
      );
    }
    process.stdout.write('CPU per ping: of the server process, of its PostgreSQL, and both (the load generator is not counted)\n');
    const rps = median(ratios.rps);
    const overNaive = median(ratios.naive);
    const ofBare = median(ratios.bare);
    process.stdout.write(`\ndurable pings/s (group commit, median): ${rps.toFixed(0)} (goal >= ${goals.pingsPerSecond})\n`);
    process.stdout.write(`group commit / naive: ${overNaive.toFixed(2)}x (median; goal >= ${goals.overNaive})\n`);
    process.stdout.write(`group commit / unbatched (same SQL, 1 ping per transaction): ${median(ratios.unbatched).toFixed(2)}x (median)\n`);
    process.stdout.write(`group commit / bare Koa: ${(ofBare * 100).toFixed(0)} % (median; goal >= ${goals.ofBare * 100} %)\n`);
    process.stdout.write(
      `acknowledged pings: ${acknowledged}, ping rows stored: ${stored}, heartbeat ping counts: ${pings} (${lost === 0 ? 'none lost' : `${lost} LOST`})\n`,
    );
    if (profile) process.stdout.write(`\n${profile}`);
    const fmt = (n: number) => n.toLocaleString('en');
    const roundsOf = (list: { ms: number }[]) => list.map((sweep) => fmt(Math.round(sweep.ms))).join(', ');
    process.stdout.write(
      `\ndeadline evaluation, ${fmt(total)} heartbeats (batches of 1,000 on the due_at index, 2 transactions side by side):\n` +
        `  nothing due: ${median(idle).toFixed(1)} ms (median of 5 ticks)\n` +
        `  a tick in which ${fmt(tick.result.late)} go late: ${tick.ms.toFixed(1)} ms\n` +
        `  all ${fmt(sqlOnly.result.down)} go down at once, status + history only: ${fmt(Math.round(sqlOnly.ms))} ms (rounds ${roundsOf(sweeps.sqlOnly)})\n` +
        `  all ${fmt(withEvents.result.down)} go down at once, with their heartbeat.deadline_missed events (${fmt(withEvents.eventCount)} in the outbox, published per batch): ` +
        `${fmt(Math.round(withEvents.ms))} ms (rounds ${roundsOf(sweeps.withEvents)}; ${fmt(withEvents.downCount)} down); medians of rounds after 1 uncounted\n`,
    );
    const missed = [
      rps < goals.pingsPerSecond ? 'pings/s' : '',
      overNaive < goals.overNaive ? 'over naive' : '',
      ofBare < goals.ofBare ? 'share of bare Koa' : '',
      lost !== 0 ? 'lost pings' : '',
    ].filter(Boolean);
    reportFigures('pings', [
      { figure: 'durable pings/s', value: rps, goal: `>= ${goals.pingsPerSecond}`, pass: rps >= goals.pingsPerSecond },
      { figure: 'pings / bare Koa', value: ofBare, baseline: 'bare Koa', ratio: ofBare, goal: `>= ${goals.ofBare}`, pass: ofBare >= goals.ofBare },
      { figure: 'pings lost', value: lost, goal: '0', pass: lost === 0 },
      { figure: 'all heartbeats down at once, ms', value: withEvents.ms, goal: '< 5000', pass: withEvents.ms < 5000 },
      { figure: 'all heartbeats down at once, status + history only, ms', value: sqlOnly.ms, goal: '< 5000', pass: sqlOnly.ms < 5000 },
      // The request-path issue (24) raised the bar; reported beside the exit goals above, which stay.
      { figure: 'durable pings/s, request-path goal', value: rps, goal: `>= ${requestPathGoals.pingsPerSecond}`, pass: rps >= requestPathGoals.pingsPerSecond },
      {
        figure: 'pings / bare Koa, request-path goal',
        value: ofBare,
        baseline: 'bare Koa',
        ratio: ofBare,
        goal: `>= ${requestPathGoals.ofBare}`,
        pass: ofBare >= requestPathGoals.ofBare,
      },
    ]);
    process.stdout.write(`\n${missed.length === 0 ? 'all goals met' : `goals missed: ${missed.join(', ')}`}\n`);
    if (missed.length > 0) failed = true;
  } finally {
    for (const file of pathFiles) rmSync(file, { force: true });
    await kernel.stop();
    await bare.close();
  }
  if (failed) process.exitCode = 1;
}

if (process.argv[2] === '--load') {
  const [base, pathsFile, seconds, concurrency] = process.argv.slice(3);
  await loadGenerator(base, pathsFile, Number(seconds), Number(concurrency));
} else {
  await main();
}
