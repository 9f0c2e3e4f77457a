import t from 'tap';
import { eventually, startTestServer } from '../plugin-api/testing.ts';
import examplePlugin from './example-plugin/plugin.ts';

t.test('the plugin kit signs in any role, calls, hears events and switches licenses', async (t) => {
  const server = await startTestServer(t, { plugins: [examplePlugin] });
  const viewer = await server.loginAs('viewer');
  t.match(viewer, { tenantId: 'acme', role: 'viewer', headers: { authorization: /^Bearer / } });
  t.equal((await server.call('GET', '/api/v1/example/scores', { headers: viewer.headers })).status, 200);
  t.equal((await server.call('POST', '/api/v1/example/scores', { headers: viewer.headers, body: { values: [1] } })).status, 403);
  t.equal((await server.call('GET', '/api/v1/example/scores')).status, 401);

  const topics: string[] = [];
  server.onEvent((event) => topics.push(event.topic));
  const admin = await server.loginAs('msp_admin', 'globex');
  t.equal((await server.call('POST', '/api/v1/example/scores', { headers: admin.headers, body: { values: [3, 4] } })).status, 202);
  t.ok(await eventually(() => (topics.includes('example.scored') ? true : undefined)), 'the job committed its event');
  t.equal((await server.database.forTenant('globex').query('SELECT label FROM example_score')).length, 1);
  t.same(await server.database.forTenant('acme').query('SELECT label FROM example_score'), [], 'globex rows stay in globex');

  await server.activateLicense({ plugins: ['another'] });
  t.match(await server.plugins(), [{ id: 'example', licensed: false, state: 'unlicensed' }]);
  t.equal((await server.call('GET', '/api/v1/example/scores', { headers: viewer.headers })).status, 404);
});
