/**
 * `npm run bench:aiops-alertmanager`: Alertmanager alerts ingested per second through
 * `POST /api/v1/alerts/webhook` (deliveries of BENCH_GROUP (100) firing alerts with distinct
 * fingerprints, each opening an anomaly and a core alert, committed before the answer), against the
 * same deliveries posted again (every alert already claimed: the redelivery path), and the same
 * bodies posted to a bare Koa route, in the same run. The load comes from the generator's own
 * process (bench/load-requests.ts), not the server's event loop.
 *   BENCH_SECONDS (6), BENCH_CONCURRENCY (4), BENCH_GROUP (100)
 * Goal: >= 5,000 alerts/s. Exits 1 when a delivery failed or the goal is missed.
 */
import { reportFigures, runGenerator, startBareKoa } from './bench-kit.ts';
import { aiopsBenchWorld } from './aiops-world.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const group = Number(process.env.BENCH_GROUP ?? 100);

/** One delivery of `group` firing alerts; `tag` (a number, or `{{seq}}` for the generator to fill) makes its fingerprints. */
function delivery(tag: string): string {
  const alerts = Array.from({ length: group }, (_, i) => ({
    status: 'firing',
    labels: { alertname: 'HighLatency', service_id: `svc-${i % 40}`, severity: i % 3 ? 'warning' : 'critical', instance: `node-${tag}-${i}` },
    annotations: { summary: 'p95 latency above 500 ms for 5 minutes' },
    startsAt: '2026-04-10T12:00:00.000Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: `${tag}-${i.toString(16).padStart(4, '0')}`,
  }));
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="HighLatency",batch="${tag}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'itops',
    groupLabels: { alertname: 'HighLatency' },
    commonLabels: { alertname: 'HighLatency' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  });
}

/** Alerts/s through `url` from the load generator's own process, `concurrency` deliveries in flight. */
async function drive(base: string, path: string, bodies: string[], headers: Record<string, string> = {}): Promise<{ alerts: number; failed: number }> {
  const figures = await runGenerator({
    base,
    requests: bodies.map((body) => ({ method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body })),
    seconds,
    concurrency,
  });
  return { alerts: ((figures.requests - figures.errors) * group) / figures.seconds, failed: figures.errors };
}

async function main() {
  const { kernel, url, integrationHeaders } = await aiopsBenchWorld({ ITOPS_JOBS_ENABLED: 'false' });
  const bare = await startBareKoa();
  try {
    const issued = await fetch(`${url}/api/v1/alertmanager/receiver/rotate`, { method: 'POST', headers: integrationHeaders });
    const { receiver_secret: secret } = (await issued.json()) as { receiver_secret: string };
    const receiverAuth = { authorization: `Bearer ${secret}` };
    const webhook = '/api/v1/alerts/webhook?workspace=bench';
    // New alerts: the generator puts its request number in every delivery, so each opens its own.
    const fresh = await drive(url, webhook, [delivery('{{seq}}')], receiverAuth);
    // Redeliveries: a fixed set of deliveries, each sent once first, then over and over.
    const known = Array.from({ length: 16 }, (_, k) => delivery(`again-${k}`));
    for (const body of known) {
      const primed = await fetch(`${url}${webhook}`, { method: 'POST', headers: { 'content-type': 'application/json', ...receiverAuth }, body });
      if (primed.status !== 200) throw new Error(`priming a delivery: ${primed.status} ${await primed.text()}`);
    }
    const redelivered = await drive(url, webhook, known, receiverAuth);
    const baseline = await drive(bare.url, '/', known);
    const [{ n }] = await kernel.database.platform.query<{ n: string }>("SELECT count(*) AS n FROM aiops_anomaly WHERE source = 'alertmanager'");
    const fmt = (v: number) => Math.round(v).toLocaleString('en');
    console.log(`aiops Alertmanager receiver: deliveries of ${group} alerts, concurrency ${concurrency}, ${seconds}s each`);
    console.log(`  new alerts (anomaly + core alert each)  ${fmt(fresh.alerts)} alerts/s  (${fresh.failed} failed)`);
    console.log(`  redeliveries (all duplicates)           ${fmt(redelivered.alerts)} alerts/s  (${redelivered.failed} failed)`);
    console.log(`  bare Koa, same bodies                   ${fmt(baseline.alerts)} alerts/s`);
    console.log(`  ratio new/bare ${((fresh.alerts / baseline.alerts) * 100).toFixed(1)} %; anomalies stored ${n} (one per new alert); goal >= 5,000 alerts/s`);
    reportFigures('aiops-alertmanager', [
      {
        figure: 'new Alertmanager alerts/s (anomaly + core alert each)',
        value: fresh.alerts,
        baseline: 'bare Koa, same bodies',
        ratio: fresh.alerts / baseline.alerts,
        goal: '>= 5000 alerts/s',
        pass: fresh.alerts >= 5000 && fresh.failed === 0,
      },
      { figure: 'redelivered alerts/s (all duplicates)', value: redelivered.alerts, pass: redelivered.failed === 0 },
    ]);
    if (fresh.failed + redelivered.failed > 0 || fresh.alerts < 5000) process.exitCode = 1;
  } finally {
    await bare.close();
    await kernel.stop();
  }
}

await main();
