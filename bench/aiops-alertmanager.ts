/**
 * `npm run bench:aiops-alertmanager`: Alertmanager alerts ingested per second through
 * `POST /api/v1/alerts/webhook` (deliveries of BENCH_GROUP (100) firing alerts with distinct
 * fingerprints, each opening an anomaly and a core alert, committed before the answer), against the
 * same deliveries posted again (every alert already claimed: the redelivery path), and the same
 * bodies posted to a bare Koa route, in the same run.
 *   BENCH_SECONDS (6), BENCH_CONCURRENCY (4), BENCH_GROUP (100)
 * Goal: >= 5,000 alerts/s. Exits 1 when a delivery failed or the goal is missed.
 */
import { reportFigures, startBareKoa } from './bench-kit.ts';
import { aiopsBenchWorld } from './aiops-world.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 4);
const group = Number(process.env.BENCH_GROUP ?? 100);

function delivery(seq: number): string {
  const alerts = Array.from({ length: group }, (_, i) => ({
    status: 'firing',
    labels: { alertname: 'HighLatency', service_id: `svc-${i % 40}`, severity: i % 3 ? 'warning' : 'critical', instance: `node-${seq}-${i}` },
    annotations: { summary: 'p95 latency above 500 ms for 5 minutes' },
    startsAt: new Date(Date.UTC(2026, 3, 10, 12, 0, 0) + seq * 1000).toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: `${seq.toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`,
  }));
  return JSON.stringify({
    version: '4',
    groupKey: `{}:{alertname="HighLatency",batch="${seq}"}`,
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

async function drive(url: string, bodies: () => string, headers: Record<string, string> = {}): Promise<{ alerts: number; failed: number }> {
  let alerts = 0;
  let failed = 0;
  const countFrom = Date.now() + 1000;
  const deadline = countFrom + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: bodies() });
        await r.arrayBuffer();
        if (r.status !== 200) failed++;
        else if (Date.now() >= countFrom) alerts += group;
      }
    }),
  );
  return { alerts: alerts / seconds, failed };
}

async function main() {
  const { kernel, url, integrationHeaders } = await aiopsBenchWorld({ ITOPS_JOBS_ENABLED: 'false' });
  const bare = await startBareKoa();
  try {
    const issued = await fetch(`${url}/api/v1/alertmanager/receiver/rotate`, { method: 'POST', headers: integrationHeaders });
    const { receiver_secret: secret } = (await issued.json()) as { receiver_secret: string };
    const receiverAuth = { authorization: `Bearer ${secret}` };
    let seq = 0;
    const sent: string[] = [];
    const fresh = await drive(
      `${url}/api/v1/alerts/webhook?workspace=bench`,
      () => {
        const body = delivery(seq++);
        sent.push(body);
        return body;
      },
      receiverAuth,
    );
    let again = 0;
    const redelivered = await drive(`${url}/api/v1/alerts/webhook?workspace=bench`, () => sent[again++ % sent.length], receiverAuth);
    const baseline = await drive(`${bare.url}/`, () => sent[again++ % sent.length]);
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
