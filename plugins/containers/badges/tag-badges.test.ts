import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { heartbeatWorld } from '../heartbeats/heartbeat.testkit.ts';
import { wellFormedRoot } from './xml-check.testkit.ts';

// Tags group heartbeats and endpoints as Healthchecks users group their checks: a list filter and
// one public badge per tag showing the worst of its monitors.

const endpointBody = (name: string, tags: string[]) => ({ name, url: 'https://93.184.215.14/health', enabled: false, tags });

t.test('tags on heartbeats and endpoints: stored, shown, filtered, changed', async (t) => {
  const { kernel, acmeOps, globexAdmin, create } = await heartbeatWorld(t);
  const backup = await create({ name: 'backup', tags: ['prod', 'team:db'] });
  await create({ name: 'staging sync', tags: ['staging'] });
  t.same(backup.tags, ['prod', 'team:db']);
  const api = await call(kernel, 'POST', '/api/v1/endpoints', { headers: acmeOps.headers, body: endpointBody('api', ['prod']) });
  t.equal(api.status, 201, api.text);
  t.same(api.json.tags, ['prod']);

  const prodBeats = await call(kernel, 'GET', '/api/v1/heartbeats?tag=prod', { headers: acmeOps.headers });
  t.same(
    prodBeats.json.data.map((h: { name: string }) => h.name),
    ['backup'],
  );
  t.match(prodBeats.json.filters, { tag: 'prod' });
  const prodEndpoints = await call(kernel, 'GET', '/api/v1/endpoints?tag=prod', { headers: acmeOps.headers });
  t.same(
    prodEndpoints.json.data.map((e: { name: string }) => e.name),
    ['api'],
  );
  t.equal((await call(kernel, 'GET', '/api/v1/heartbeats?tag=nope', { headers: acmeOps.headers })).json.data.length, 0);
  t.equal(
    (await call(kernel, 'GET', '/api/v1/heartbeats?tag=prod', { headers: globexAdmin.headers })).json.data.length,
    0,
    "another workspace's tags are not there",
  );

  const retagged = await call(kernel, 'PUT', `/api/v1/heartbeats/${backup.id}`, { headers: acmeOps.headers, body: { tags: ['prod'] } });
  t.equal(retagged.status, 200, retagged.text);
  t.same(retagged.json.tags, ['prod']);
  const renamed = await call(kernel, 'PUT', `/api/v1/heartbeats/${backup.id}`, { headers: acmeOps.headers, body: { name: 'backups' } });
  t.same(renamed.json.tags, ['prod'], 'an update without tags keeps them');

  for (const tags of [['has space'], ['a\u0000b'], ['x'.repeat(51)], ['dup', 'dup'], Array.from({ length: 21 }, (_, i) => `t${i}`), ['/slash']]) {
    const refused = await call(kernel, 'PUT', `/api/v1/heartbeats/${backup.id}`, { headers: acmeOps.headers, body: { tags } });
    t.equal(refused.status, 400, `tags ${JSON.stringify(tags).slice(0, 40)} are refused`);
  }
  t.equal((await call(kernel, 'GET', '/api/v1/heartbeats?tag=a%20b', { headers: acmeOps.headers })).status, 400, 'a filter that is no tag is refused');

  const graphql = await call(kernel, 'POST', '/graphql', {
    headers: acmeOps.headers,
    body: { query: '{ heartbeats(tag: "prod") { data { name tags } } endpoints(tag: "prod") { data { name tags } } }' },
  });
  t.same(graphql.json.data, { heartbeats: { data: [{ name: 'backups', tags: ['prod'] }] }, endpoints: { data: [{ name: 'api', tags: ['prod'] }] } });
});

t.test('a tag badge shows the worst status of the monitors carrying the tag', async (t) => {
  const { kernel, acmeOps, acmeViewer, globexAdmin, create, ping, becomes } = await heartbeatWorld(t);
  const first = await create({ name: 'first', tags: ['prod'] });
  const second = await create({ name: 'second', tags: ['prod'] });
  const badge = await call(kernel, 'GET', '/api/v1/badges/tag/prod', { headers: acmeViewer.headers });
  t.equal(badge.status, 200, badge.text);
  t.match(badge.json, { targetType: 'tag', targetId: 'prod', svgUrl: /\/badge\/[A-Za-z0-9_-]{43}\/svg$/ });
  const json = async () => (await fetch(badge.json.jsonUrl)).json();

  t.same(await json(), { label: 'prod', status: 'unknown', color: '#9f9f9f' }, 'new monitors only: unknown');
  await ping(`/ping/${first.uuid}`);
  await becomes(first.id, 'up');
  t.match(await json(), { label: 'prod', status: 'up' }, 'one up, one new: up');
  await ping(`/ping/${second.uuid}/fail`);
  await becomes(second.id, 'down');
  t.match(await json(), { status: 'down' }, 'one down: down');

  const svg = await fetch(badge.json.svgUrl);
  t.equal(svg.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
  t.equal(wellFormedRoot(await svg.text()), 'svg', 'the SVG is well-formed');

  const again = await call(kernel, 'GET', '/api/v1/badges/tag/prod', { headers: acmeOps.headers });
  t.equal(again.json.svgUrl, badge.json.svgUrl, 'the same tag keeps its URL');
  const rotated = await call(kernel, 'POST', '/api/v1/badges/tag/prod/rotate', { headers: acmeOps.headers });
  t.equal(rotated.status, 200, rotated.text);
  t.not(rotated.json.svgUrl, badge.json.svgUrl);
  t.equal((await fetch(badge.json.svgUrl)).status, 404, 'the rotated URL is gone');

  t.equal((await call(kernel, 'GET', '/api/v1/badges/tag/unused', { headers: acmeOps.headers })).status, 404, 'a tag no monitor carries');
  t.equal((await call(kernel, 'GET', '/api/v1/badges/tag/prod', { headers: globexAdmin.headers })).status, 404, "another workspace's tag");
  t.equal((await call(kernel, 'GET', '/api/v1/badges/tag/prod', {})).status, 401, 'no credentials');
  t.equal((await call(kernel, 'POST', '/api/v1/badges/tag/prod/rotate', { headers: acmeViewer.headers })).status, 403, 'a viewer cannot rotate');
  t.equal((await call(kernel, 'GET', '/api/v1/badges/tag/bad%20tag', { headers: acmeOps.headers })).status, 400, 'no tag');
  t.equal(
    (await call(kernel, 'GET', '/api/v1/badges/heartbeat/not-a-uuid', { headers: acmeOps.headers })).status,
    404,
    'a heartbeat id that is no uuid is not found',
  );
});
