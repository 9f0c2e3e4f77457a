/** Shared by the Alertmanager receiver's tests: a delivery as Alertmanager sends it, a workspace's credential, a free port. */
import { createServer } from 'node:net';
import { type aiopsWorld, call } from '../aiops.testkit.ts';

/** A delivery exactly as Alertmanager 0.27 sends it (webhook payload version 4). */
export function delivery(status: 'firing' | 'resolved', startsAt = '2026-04-10T12:00:00.000Z') {
  return {
    receiver: 'itops',
    status,
    alerts: [
      {
        status,
        labels: { alertname: 'HighCPU', service_id: 'payment-api', severity: 'critical', instance: 'pay-1:9100', job: 'node' },
        annotations: { summary: 'CPU usage above 85% for 5 minutes' },
        startsAt,
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-04-10T12:20:00.000Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=cpu%3E85&g0.tab=1',
        fingerprint: 'c3f2a1b4d5e6f708',
      },
    ],
    groupLabels: { alertname: 'HighCPU' },
    commonLabels: { alertname: 'HighCPU', service_id: 'payment-api', severity: 'critical', job: 'node' },
    commonAnnotations: { summary: 'CPU usage above 85% for 5 minutes' },
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}/{severity="critical"}:{alertname="HighCPU"}',
    truncatedAlerts: 0,
    notification_reason: 'new_alert',
  };
}

type World = Awaited<ReturnType<typeof aiopsWorld>>;

/** Issues a workspace's receiver credential as its integration admin would; answers the Authorization header. */
export async function receiverCredential(kernel: World['kernel'], admin: World['acmeAdmin']) {
  const r = await call(kernel, 'POST', '/api/v1/alertmanager/receiver/rotate', { headers: admin.headers });
  if (r.status !== 200) throw new Error(`rotate: ${r.status} ${r.text}`);
  return { authorization: `Bearer ${r.json.receiver_secret as string}`, secret: r.json.receiver_secret as string };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
