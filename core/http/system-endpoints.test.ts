import t from 'tap';
import { call, startTestKernel } from '../plugin-api/testing.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';

t.test('probes, metrics, the contract and its docs page', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin] });
  t.same((await call(kernel, 'GET', '/health')).json, { status: 'ok', version: '0.1.0' });
  t.same((await call(kernel, 'GET', '/api/v1/health')).json, { status: 'ok', version: '0.1.0' });

  const engine = await call(kernel, 'GET', '/.well-known/engine-status');
  t.match(engine.json, { status: 'ok', version: '0.1.0', plugins: [{ id: 'example', version: '1.0.0', state: 'loaded' }] });

  const contract = await call(kernel, 'GET', '/api/v1/openapi');
  t.equal(contract.json.openapi, '3.1.0');
  t.equal(contract.json.paths['/api/v1/example/scores'].post['x-permission'], 'example:write');
  t.equal(contract.json.paths['/api/v1/example/scores'].post['x-plugin'], 'example');

  const docs = await call(kernel, 'GET', '/docs');
  t.match(docs.headers.get('content-type'), /^text\/html/);
  t.match(docs.text, /spec-url="\/api\/v1\/openapi"/, 'the reference reads the live contract');
  t.notMatch(docs.text, /<script>/i, 'no inline script');

  // Metrics need `metrics:read` (plugins/containers/metrics/monitor-metrics.test.ts scrapes with it).
  t.equal((await call(kernel, 'GET', '/metrics')).status, 401);
});

t.test('HEAD is answered like GET, without a body', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin] });
  const head = await fetch(`${kernel.url}/health`, { method: 'HEAD' });
  t.equal(head.status, 200);
  t.match(head.headers.get('content-type'), /^application\/json/);
  t.equal(await head.text(), '');
});
