import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { heartbeatWorld } from './heartbeat.testkit.ts';
import { addressWithoutPort } from './ping.handlers.ts';

const ridA = '11111111-2222-4333-8444-555555555555';
const ridB = '66666666-7777-4888-9999-000000000000';

t.test('ping answers may not be cached by a browser or proxy', async (t) => {
  const { create, ping } = await heartbeatWorld(t);
  const hb = await create();
  for (const path of [`/ping/${hb.uuid}`, `/ping/${hb.uuid}/start`, `/ping/${hb.uuid}/0`, '/ping/00000000-0000-4000-8000-000000000000']) {
    const answer = await ping(path);
    t.match(answer.headers.get('cache-control'), /no-cache/, path);
  }
});

t.test('OPTIONS answers a CORS preflight on every ping route', async (t) => {
  const { create, ping } = await heartbeatWorld(t);
  const hb = await create();
  for (const path of [`/ping/${hb.uuid}`, `/ping/${hb.uuid}/start`, `/ping/${hb.uuid}/fail`, `/ping/${hb.uuid}/log`, `/ping/${hb.uuid}/3`]) {
    const answer = await ping(path, {
      method: 'OPTIONS',
      headers: { origin: 'https://jobs.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    t.equal(answer.status, 204, path);
    t.equal(answer.headers.get('access-control-allow-origin'), '*');
    t.match(answer.headers.get('access-control-allow-methods'), /POST/);
    t.match(answer.headers.get('access-control-allow-headers'), /content-type/i);
  }
  t.equal((await ping(`/ping/${hb.uuid}`)).headers.get('access-control-allow-origin'), '*', 'and the ping itself allows any origin');
});

t.test('a method a ping route does not take answers 405 with an Allow that lists HEAD', async (t) => {
  const { create, ping } = await heartbeatWorld(t);
  const hb = await create();
  const answer = await ping(`/ping/${hb.uuid}`, { method: 'DELETE' });
  t.equal(answer.status, 405);
  const allow = (answer.headers.get('allow') ?? '').split(/,\s*/);
  t.ok(allow.includes('HEAD'), allow.join(', '));
  t.ok(allow.includes('GET'));
});

t.test('a forwarded address loses its port, a bare IPv6 address stays whole', async (t) => {
  t.equal(addressWithoutPort('203.0.113.5:41234'), '203.0.113.5');
  t.equal(addressWithoutPort('[2001:db8::1]:443'), '2001:db8::1');
  t.equal(addressWithoutPort('2001:db8::1'), '2001:db8::1');
  t.equal(addressWithoutPort('203.0.113.5'), '203.0.113.5');
  t.equal(addressWithoutPort(''), null);
});

t.test('the stored client address has no port', async (t) => {
  const { create, ping, pings } = await heartbeatWorld(t);
  const hb = await create();
  await ping(`/ping/${hb.uuid}`);
  const [stored] = (await pings(hb.id)).data;
  t.match(stored.remoteAddr, /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
});

t.test('a fail with a rid closes the open run of another rid: executions show no running run', async (t) => {
  const { create, ping, executions } = await heartbeatWorld(t);
  const hb = await create();
  await ping(`/ping/${hb.uuid}/start?rid=${ridA}`);
  await ping(`/ping/${hb.uuid}/start?rid=${ridB}`);
  await ping(`/ping/${hb.uuid}/fail?rid=${ridB}`);
  const runs = (await executions(hb.id)).data;
  t.notOk(
    runs.some((r: any) => r.outcome === 'running'),
    JSON.stringify(runs.map((r: any) => r.outcome)),
  );
});

t.test('a start on a paused heartbeat: down at start + grace if nothing completes; the start does not un-pause', async (t) => {
  const { create, ping, get, becomes, clock, kernel, acmeOps } = await heartbeatWorld(t);
  const hb = await create();
  await call(kernel, 'POST', `/api/v1/heartbeats/${hb.id}/pause`, { headers: acmeOps.headers });
  await ping(`/ping/${hb.uuid}/start`);
  t.match(await get(hb.id), { status: 'paused', downAt: clock.iso(300) });
  clock.advance(301);
  const down = await becomes(hb.id, 'down');
  t.match(down.statusReason, /did not finish/);
});
