import { compress } from 'snappyjs';
import t from 'tap';
import { aiopsWorld, call } from '../aiops.testkit.ts';
import { decodeWriteRequest } from './write-request.ts';
import { writeRequest } from './write-request.testkit.ts';

t.test('the decoder reads what the encoder wrote, skipping metadata', async (t) => {
  const now = 1_775_000_000_123;
  const decoded = decodeWriteRequest(
    writeRequest([
      {
        labels: { __name__: 'up', job: 'api' },
        samples: [
          [1, now],
          [0.5, now + 15_000],
        ],
      },
    ]),
  );
  t.same(decoded, [
    {
      labels: { __name__: 'up', job: 'api' },
      samples: [
        { value: 1, timestampMs: now },
        { value: 0.5, timestampMs: now + 15_000 },
      ],
    },
  ]);
});

t.test('a remote-write request encoded as Prometheus encodes it is stored, attributed to the scrape job', async (t) => {
  const { kernel, agent, acmeViewer } = await aiopsWorld(t);
  const now = Date.now();
  const body = compress(
    writeRequest([
      {
        labels: { __name__: 'node_cpu_seconds_total', job: 'payment-api', instance: 'pay-1:9100', cpu: '0', mode: 'user' },
        samples: [
          [1234.5, now - 30_000],
          [1240.25, now - 15_000],
        ],
      },
      {
        labels: { __name__: 'http_request_duration_seconds', service_id: 'checkout', le: '0.5', note: 'a\u0000b' },
        samples: [
          [0.25, now - 15_000],
          [Number.NaN, now],
        ],
      },
    ]),
  );
  const headers = { ...agent.headers, 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' };
  const response = await fetch(`${kernel.url}/api/v1/write`, { method: 'POST', headers, body });
  t.equal(response.status, 204, await response.clone().text());
  const rows = await kernel.database.platform.query<{ service_id: string; metric_name: string; value: number; labels: Record<string, string> }>(
    'SELECT service_id, metric_name, value, labels FROM aiops_point ORDER BY service_id, ts',
  );
  t.same(
    rows.map((r) => [r.service_id, r.metric_name, r.value]),
    [
      ['checkout', 'http_request_duration_seconds', 0.25],
      ['payment-api', 'node_cpu_seconds_total', 1234.5],
      ['payment-api', 'node_cpu_seconds_total', 1240.25],
    ],
  );
  t.same(rows[1].labels, { job: 'payment-api', instance: 'pay-1:9100', cpu: '0', mode: 'user' });
  t.same(rows[0].labels, { service_id: 'checkout', le: '0.5', note: 'ab' }, 'a NUL in a label is dropped, not a 500');
  const batches = await call(kernel, 'GET', '/api/v1/events/ingest-batches?source=remote_write', { headers: acmeViewer.headers });
  t.match(batches.json.data, [{ source: 'remote_write', points: 3, rejected: 1 }], 'the stale NaN is counted as rejected');

  const garbage = await fetch(`${kernel.url}/api/v1/write`, { method: 'POST', headers, body: Buffer.from('not snappy at all') });
  t.equal(garbage.status, 400);
  t.equal((await fetch(`${kernel.url}/api/v1/write`, { method: 'POST', headers: { ...headers, 'content-encoding': 'gzip' }, body })).status, 415);
  t.equal((await fetch(`${kernel.url}/api/v1/write`, { method: 'POST', headers: { 'content-encoding': 'snappy' }, body })).status, 401);
  t.equal((await fetch(`${kernel.url}/api/v1/write`, { method: 'POST', headers: { ...acmeViewer.headers, 'content-encoding': 'snappy' }, body })).status, 403);
  t.equal((await fetch(`${kernel.url}/api/v1/write`, { method: 'POST', headers: { ...headers, 'x-workspace-id': 'globex' }, body })).status, 404);
});
