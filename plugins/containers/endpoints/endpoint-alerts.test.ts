import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { alertRows, rollingBack } from '../alerts.testkit.ts';
import type { CheckOutcome } from './endpoint-checks.ts';
import { recordEndpointCheck } from './endpoint-results.ts';
import type { EndpointRow } from './endpoint-rows.ts';
import { endpointWorld } from './endpoint.testkit.ts';

/** No check rounds: the test records the results itself, so nothing else could raise an alert. */
const manual = (t: Parameters<typeof endpointWorld>[0]) => endpointWorld(t, { env: { ITOPS_JOBS_ENABLED: 'false' } });

const failed: CheckOutcome = { ok: false, responseTimeMs: null, statusCode: null, error: 'connection refused by 127.0.0.1:1', address: '127.0.0.1' };
const passed: CheckOutcome = { ok: true, responseTimeMs: 12, statusCode: 200, error: null, address: '127.0.0.1' };

t.test('an endpoint going down and its alert commit together, and so do its recovery and the resolve', async (t) => {
  const { create, get, clock, services, kernel } = await manual(t);
  const endpoint = await create({ url: 'http://shop.test/', failureThreshold: 2 });
  const row = async () => (await kernel.database.query<EndpointRow>('SELECT * FROM endpoint WHERE id = ?', [endpoint.id]))[0];
  const deps = services();

  t.equal(await recordEndpointCheck(deps, await row(), failed, clock.now()), false, 'below the threshold');
  t.same(await alertRows(kernel, endpoint.id), []);
  clock.advance(60);
  t.equal(await recordEndpointCheck(deps, await row(), failed, clock.now()), true);
  t.match(await alertRows(kernel, endpoint.id), [
    {
      fingerprint: `endpoint-down:${endpoint.id}`,
      status: 'firing',
      message: 'http://shop.test/: connection refused by 127.0.0.1:1 (2 consecutive failed checks)',
    },
  ]);
  clock.advance(60);
  await recordEndpointCheck(deps, await row(), failed, clock.now());
  t.equal((await alertRows(kernel, endpoint.id)).length, 1, 'still down: the same alert');

  clock.advance(60);
  t.equal(await recordEndpointCheck(deps, await row(), passed, clock.now()), true);
  t.equal((await get(endpoint.id)).status, 'up');
  t.match(await alertRows(kernel, endpoint.id), [{ status: 'resolved' }]);
});

t.test('a check result that rolls back leaves neither the status nor an alert', async (t) => {
  const { create, get, clock, services, kernel } = await manual(t);
  const endpoint = await create({ url: 'http://shop.test/', failureThreshold: 1 });
  const [row] = await kernel.database.query<EndpointRow>('SELECT * FROM endpoint WHERE id = ?', [endpoint.id]);
  const deps = services();
  await t.rejects(recordEndpointCheck({ ...deps, database: rollingBack(deps.database) }, row, failed, clock.now()), /rolled back/);
  t.equal((await get(endpoint.id)).status, 'pending');
  t.same(await alertRows(kernel, endpoint.id), []);
});

t.test('pausing a down endpoint resolves its alert in the same request', async (t) => {
  const { create, clock, services, kernel, acmeOps } = await manual(t);
  const endpoint = await create({ url: 'http://shop.test/', failureThreshold: 1 });
  const [row] = await kernel.database.query<EndpointRow>('SELECT * FROM endpoint WHERE id = ?', [endpoint.id]);
  await recordEndpointCheck(services(), row, failed, clock.now());
  t.match(await alertRows(kernel, endpoint.id), [{ status: 'firing' }]);
  const paused = await call(kernel, 'PUT', `/api/v1/endpoints/${endpoint.id}`, { headers: acmeOps.headers, body: { enabled: false } });
  t.match(paused.json, { status: 'paused' });
  t.match(await alertRows(kernel, endpoint.id), [{ status: 'resolved' }]);
});
