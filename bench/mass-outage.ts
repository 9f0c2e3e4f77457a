/**
 * `npm run bench:mass-outage`: a fleet of heartbeats going down at once (a network cut), swept by
 * the deadline evaluator with their alerts raised in its batch transactions: per alert (`raise`
 * for each heartbeat, a handful of statements each), batched (`raiseMany`, a fixed number per
 * batch: what the sweep does), and without alerts (a stub: the baseline). Interleaved rounds in one
 * run; the medians are printed as ratios against the baseline of the same run, since absolute
 * times say more about the machine than about the code.
 * Two workspaces share the heartbeats; each has an enabled channel (a notification row per alert)
 * and an active silence that matches nothing (read and matched, as in production).
 * "held" is the longest batch transaction (BEGIN to just before COMMIT): how long a ping to one of
 * those heartbeats may wait on its row lock. "sweep" is the whole evaluation, with the after-commit
 * queueing of the notification jobs.
 * With BENCH_CHANNELS=0 the channels are disabled: no notification rows and no jobs to queue.
 *   BENCH_HEARTBEATS (2000), BENCH_ROUNDS (3), BENCH_WARMUP_ROUNDS (1), BENCH_CHANNELS (1)
 */
import type { Alert, AlertsService, DatabaseService, Tx } from '../core/plugin-api/index.ts';
import { servicesProbe } from '../core/plugin-api/testing.ts';
import { HeartbeatDeadlines } from '../plugins/containers/heartbeats/heartbeat-deadlines.ts';
import containersPlugin from '../plugins/containers/plugin.ts';
import { median, reportFigures, startBenchKernel } from './bench-kit.ts';

const clamp = (value: number, min: number, max: number) => Math.min(Math.max(value, min), max);
const heartbeats = clamp(Number(process.env.BENCH_HEARTBEATS ?? 2000), 10, 100_000);
const rounds = clamp(Number(process.env.BENCH_ROUNDS ?? 3), 1, 20);
const warmupRounds = clamp(Number(process.env.BENCH_WARMUP_ROUNDS ?? 1), 0, 5);
const tenants = ['bench-a', 'bench-b'];
const channelsEnabled = process.env.BENCH_CHANNELS !== '0';

const probe = servicesProbe('bench_probe');
// Jobs off: this bench drives the deadline evaluator itself, without the plugin's own loop.
const kernel = await startBenchKernel([containersPlugin, probe.plugin], { ITOPS_JOBS_ENABLED: 'false' });
const { database, events, alerts } = probe.services();
const sql = database.platform.query;

/** The same service, raising and resolving one alert at a time, as the sweep did before batching. */
const perAlert: AlertsService = {
  ...alerts,
  raise: (tx, alert) => alerts.raise(tx, alert),
  resolve: (tx, alert) => alerts.resolve(tx, alert),
  raiseMany: async (tx, list) => {
    const raised: Alert[] = [];
    for (const alert of list) raised.push(await alerts.raise(tx, alert));
    return raised;
  },
  resolveMany: async (tx, list) => {
    const resolved: (Alert | null)[] = [];
    for (const alert of list) resolved.push(await alerts.resolve(tx, alert));
    return resolved;
  },
};
const noAlerts: AlertsService = {
  get: async () => null,
  countFiring: async () => 0,
  raise: async () => ({}) as Alert,
  resolve: async () => null,
  raiseMany: async () => [],
  resolveMany: async () => [],
};

/** The database with its platform transactions timed from their first statement to their commit. */
function timedDatabase(held: number[]): DatabaseService {
  const platform = database.platform;
  return {
    forTenant: (tenantId) => database.forTenant(tenantId),
    forTenantStaleReads: (tenantId) => database.forTenantStaleReads(tenantId),
    platform: {
      ...platform,
      transaction: <T>(fn: (tx: Tx) => Promise<T>) =>
        platform.transaction(async (tx) => {
          const started = performance.now();
          try {
            return await fn(tx);
          } finally {
            held.push(performance.now() - started);
          }
        }),
    },
  };
}

const arm = `status = 'up', status_reason = NULL, expected_at = last_ping_at + interval '1 hour',
  down_at = last_ping_at + interval '1 hour 5 minutes', due_at = last_ping_at + interval '1 hour'`;

/** Every heartbeat up again and every trace of the previous sweep gone. */
async function reset(): Promise<void> {
  await sql('DELETE FROM alert_notification');
  await sql('DELETE FROM alert');
  await sql(`DELETE FROM event_outbox WHERE topic LIKE 'alert.%' OR topic = 'heartbeat.deadline_missed'`);
  await sql('DELETE FROM heartbeat_flip');
  await sql(`UPDATE heartbeat SET ${arm}`);
  await sql('VACUUM ANALYZE heartbeat, alert, alert_notification, event_outbox');
}

try {
  const at = new Date();
  for (const [i, tenantId] of tenants.entries()) {
    await sql('INSERT INTO tenant (tenant_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING', [tenantId, `Bench ${i}`]);
    // A loopback URL the outbound guard refuses: no socket is ever opened (and the workers are off).
    await sql(
      `INSERT INTO notification_channel (id, tenant_id, name, type, config, enabled) VALUES (gen_random_uuid(), ?, 'ops', 'webhook', '{"url": "http://127.0.0.1:9/hook"}', ?)`,
      [tenantId, channelsEnabled],
    );
    await sql(
      `INSERT INTO silence (id, tenant_id, matchers, starts_at, ends_at, comment, created_by)
       VALUES (gen_random_uuid(), ?, '{"source":"backup"}', now() - interval '1 minute', now() + interval '1 day', 'bench', 'bench')`,
      [tenantId],
    );
  }
  await sql(
    `INSERT INTO channel_rule (id, channel_id, tenant_id, source, labels)
     SELECT gen_random_uuid(), id, tenant_id, 'containers', '{}' FROM notification_channel WHERE tenant_id = 'bench-b'`,
  );
  await sql(
    `INSERT INTO heartbeat (id, tenant_id, ping_uuid, name, kind, period_seconds, grace_seconds, status, last_ping_at)
     SELECT gen_random_uuid(), CASE WHEN i % 2 = 0 THEN 'bench-a' ELSE 'bench-b' END, gen_random_uuid(), 'outage bench ' || i, 'period', 3600, 300, 'up',
            ?::timestamptz - interval '1 hour' + make_interval(secs => 1 + i % 3600)
     FROM generate_series(1, ?) i`,
    [at.toISOString(), heartbeats],
  );
  // Every deadline and grace has passed: all of them go down in one sweep.
  const allDown = new Date(at.getTime() + 4000_000);

  const variants: Record<string, AlertsService> = { 'no alerts (stub)': noAlerts, 'raise per alert': perAlert, raiseMany: alerts };
  const measured: Record<string, { sweep: number[]; held: number[] }> = Object.fromEntries(
    Object.keys(variants).map((name) => [name, { sweep: [], held: [] }]),
  );
  for (let round = 0; round < warmupRounds + rounds; round++) {
    // Rotated so that no variant always runs right after another's clean-up.
    const order = Object.keys(variants).map((_, i, names) => names[(i + round) % names.length]);
    for (const name of order) {
      await reset();
      const held: number[] = [];
      const evaluator = new HeartbeatDeadlines({ database: timedDatabase(held), events, alerts: variants[name], clock: () => new Date() });
      const started = performance.now();
      const result = await evaluator.evaluate(allDown);
      const sweep = performance.now() - started;
      if (result.down !== heartbeats) throw new Error(`${name}: ${result.down} of ${heartbeats} went down`);
      const [{ count }] = await sql<{ count: string }>('SELECT count(*) AS count FROM alert');
      const expected = variants[name] === noAlerts ? 0 : heartbeats;
      if (Number(count) !== expected) throw new Error(`${name}: ${count} alerts, expected ${expected}`);
      if (round < warmupRounds) continue;
      measured[name].sweep.push(sweep);
      measured[name].held.push(Math.max(...held));
    }
  }

  const base = measured['no alerts (stub)'];
  const fmt = (ms: number) => `${Math.round(ms).toLocaleString('en')} ms`;
  process.stdout.write(
    `${heartbeats.toLocaleString('en')} heartbeats in 2 workspaces go down in one sweep (batches of 1,000, 2 transactions side by side), ` +
      `channels ${channelsEnabled ? 'enabled (a notification job per alert)' : 'disabled'}; ` +
      `medians of ${rounds} interleaved rounds after ${warmupRounds} uncounted\n\n`,
  );
  process.stdout.write(`${'alerts'.padEnd(20)}${'sweep'.padStart(12)}${'× baseline'.padStart(12)}${'held'.padStart(12)}${'× baseline'.padStart(12)}\n`);
  for (const [name, { sweep, held }] of Object.entries(measured)) {
    process.stdout.write(
      `${name.padEnd(20)}${fmt(median(sweep)).padStart(12)}${(median(sweep) / median(base.sweep)).toFixed(2).padStart(12)}` +
        `${fmt(median(held)).padStart(12)}${(median(held) / median(base.held)).toFixed(2).padStart(12)}\n`,
    );
  }
  const batched = median(measured['raise per alert'].held) / median(measured.raiseMany.held);
  process.stdout.write(`\nraiseMany holds the rows ${batched.toFixed(1)}x shorter than raising per alert\n`);
  const swept = median(measured.raiseMany.sweep) / median(base.sweep);
  reportFigures('mass-outage', [
    { figure: 'alerting sweep / no-alert sweep', value: swept, baseline: 'sweep without alerts', ratio: swept },
    { figure: 'raise per alert / raiseMany (rows held)', value: batched, baseline: 'raising per alert', ratio: batched },
  ]);
} finally {
  await kernel.stop();
}
