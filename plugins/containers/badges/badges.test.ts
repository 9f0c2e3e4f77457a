import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { heartbeatWorld } from '../heartbeats/heartbeat.testkit.ts';
import { badgeSvg, textWidth } from './badge-render.ts';
import { wellFormedRoot } from './xml-check.testkit.ts';

const pathOf = (url: string) => {
  const parsed = new URL(url, 'http://x');
  return parsed.pathname + parsed.search;
};

t.test('a heartbeat badge: SVG, JSON and shields formats, cached for a minute, 304 on a matching ETag', async (t) => {
  const { kernel, acmeOps, acmeViewer, create, ping, becomes, clock } = await heartbeatWorld(t);
  const hb = await create({ name: 'nightly <backup> & dump' });
  const urls = await call(kernel, 'GET', `/api/v1/badges/heartbeat/${hb.id}`, { headers: acmeViewer.headers });
  t.equal(urls.status, 200);
  t.match(urls.json.svgUrl, /\/badge\/[A-Za-z0-9_-]{43}\/svg$/);
  t.notMatch(urls.json.svgUrl, hb.id, 'the URL names no monitor');
  t.notMatch(urls.json.svgUrl, /acme/, 'the URL names no workspace');
  t.same((await call(kernel, 'GET', `/api/v1/badges/heartbeat/${hb.id}`, { headers: acmeOps.headers })).json, urls.json, 'stable until rotated');

  const fresh = await fetch(`${kernel.url}${pathOf(urls.json.svgUrl)}`);
  t.equal(fresh.status, 200);
  t.match(fresh.headers.get('content-type'), /^image\/svg\+xml/);
  t.equal(fresh.headers.get('cache-control'), 'public, max-age=60, s-maxage=60');
  const svg = await fresh.text();
  t.equal(wellFormedRoot(svg), 'svg');
  t.match(svg, '>nightly &lt;backup&gt; &amp; dump</text>');
  t.match(svg, '>new</text>');

  await ping(`/ping/${hb.uuid}`);
  await becomes(hb.id, 'up');
  const up = await fetch(`${kernel.url}${pathOf(urls.json.svgUrl)}`);
  const upSvg = await up.text();
  t.equal(wellFormedRoot(upSvg), 'svg');
  t.match(upSvg, 'fill="#4c1"');
  t.match(upSvg, '>up</text>');
  const etag = up.headers.get('etag') as string;
  t.match(etag, /^"[A-Za-z0-9_-]+"$/);
  const again = await fetch(`${kernel.url}${pathOf(urls.json.svgUrl)}`, { headers: { 'if-none-match': etag } });
  t.equal(again.status, 304);

  const json = await fetch(`${kernel.url}${pathOf(urls.json.jsonUrl)}`);
  t.same(await json.json(), { label: 'nightly <backup> & dump', status: 'up', color: '#4c1' });
  const shields = await fetch(`${kernel.url}${pathOf(urls.json.shieldsUrl)}`);
  t.same(await shields.json(), { schemaVersion: 1, label: 'nightly <backup> & dump', message: 'up', color: '#4c1' });
  clock.advance(1800);
  const withUptime = await fetch(`${kernel.url}${pathOf(urls.json.shieldsUrl)}?uptime=true`);
  t.same(await withUptime.json(), { schemaVersion: 1, label: 'nightly <backup> & dump', message: 'up 100.00%', color: '#4c1' });
  t.match(urls.json.shieldsEndpointUrl, /^https:\/\/img\.shields\.io\/endpoint\?url=/);
});

t.test('rotation retires the old URL; unknown tokens, other workspaces and missing monitors answer alike', async (t) => {
  const { kernel, acmeOps, acmeViewer, globexAdmin, create } = await heartbeatWorld(t);
  const hb = await create();
  const before = (await call(kernel, 'GET', `/api/v1/badges/heartbeat/${hb.id}`, { headers: acmeOps.headers })).json;
  t.equal((await fetch(`${kernel.url}${pathOf(before.svgUrl)}`)).status, 200);

  t.equal((await call(kernel, 'POST', `/api/v1/badges/heartbeat/${hb.id}/rotate`, { headers: acmeViewer.headers })).status, 403, 'a viewer cannot rotate');
  const rotated = await call(kernel, 'POST', `/api/v1/badges/heartbeat/${hb.id}/rotate`, { headers: acmeOps.headers });
  t.equal(rotated.status, 200);
  t.not(rotated.json.svgUrl, before.svgUrl);
  const old = await fetch(`${kernel.url}${pathOf(before.svgUrl)}`);
  const unknown = await fetch(`${kernel.url}/badge/${'A'.repeat(43)}/svg`);
  t.equal(old.status, 404);
  t.equal(unknown.status, 404);
  t.equal(((await old.json()) as any).error.code, ((await unknown.json()) as any).error.code, 'a rotated token is indistinguishable from one never issued');
  t.equal((await fetch(`${kernel.url}${pathOf(rotated.json.svgUrl)}`)).status, 200);

  const other = await call(kernel, 'GET', `/api/v1/badges/heartbeat/${hb.id}`, { headers: globexAdmin.headers });
  t.equal(other.status, 404, "another workspace's monitor is not found");
  t.equal((await call(kernel, 'GET', `/api/v1/badges/endpoint/${hb.id}`, { headers: acmeOps.headers })).status, 404, 'a heartbeat is no endpoint');
  t.equal((await call(kernel, 'GET', `/api/v1/badges/heartbeat/${hb.id}`)).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/badges/queue/x', { headers: acmeOps.headers })).status, 400);
  t.equal((await fetch(`${kernel.url}/badge/${'A'.repeat(43)}/png`)).status, 400);

  await call(kernel, 'DELETE', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers });
  t.equal((await fetch(`${kernel.url}${pathOf(rotated.json.svgUrl)}`)).status, 404, 'a deleted monitor has no badge');
});

t.test('text widths grow with the text, so long names widen the badge instead of overflowing', async (t) => {
  t.ok(textWidth('mmmm') > textWidth('iiii'));
  const short = badgeSvg({ label: 'db', message: 'up', color: '#4c1' });
  const long = badgeSvg({ label: 'a much longer heartbeat name', message: 'up', color: '#4c1' });
  const width = (svg: string) => Number(/width="(\d+)"/.exec(svg)?.[1]);
  t.ok(width(long) > width(short) + 100);
  t.equal(wellFormedRoot(long), 'svg');
});
