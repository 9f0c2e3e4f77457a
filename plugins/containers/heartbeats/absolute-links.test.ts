import http from 'node:http';
import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { heartbeatWorld } from './heartbeat.testkit.ts';

/** fetch() may not set Host: a plain node:http GET with the Host header a proxy or a DNS name would bring. */
function getWithHost(base: string, path: string, host: string, headers: Record<string, string>): Promise<any> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}${path}`, { headers: { ...headers, host } }, (response) => {
      let text = '';
      response.on('data', (chunk) => {
        text += chunk;
      });
      response.on('end', () => resolve(JSON.parse(text)));
    });
    request.on('error', reject);
  });
}

// Every link the API returns is absolute, so a ping URL copied from a response (or printed by the
// SDK) works as it is, whether or not ITOPS_PUBLIC_URL is configured.

t.test('without ITOPS_PUBLIC_URL, links are built on the address the caller reached', async (t) => {
  const { kernel, acmeOps, create } = await heartbeatWorld(t);
  const hb = await create();
  t.equal(hb.pingUrl, `${kernel.url}/ping/${hb.uuid}`, 'the create answer names this server');
  const pinged = await fetch(hb.pingUrl);
  t.equal(pinged.status, 200, 'the URL works as returned');

  const viaName = await getWithHost(kernel.url, `/api/v1/heartbeats/${hb.id}`, 'ops.internal:8443', acmeOps.headers);
  t.equal(viaName.pingUrl, `http://ops.internal:8443/ping/${hb.uuid}`, 'a caller using another host name gets links on that name');

  const listed = await call(kernel, 'GET', '/api/v1/heartbeats', { headers: acmeOps.headers });
  t.equal(listed.json.data[0].pingUrl, `${kernel.url}/ping/${hb.uuid}`, 'list items too');

  const badge = await call(kernel, 'GET', `/api/v1/badges/heartbeat/${hb.id}`, { headers: acmeOps.headers });
  t.equal(badge.status, 200);
  t.match(badge.json.svgUrl, new RegExp(`^${kernel.url.replace(/[.]/g, '\\.')}/badge/[A-Za-z0-9_-]{43}/svg$`), 'badge URLs too');
  t.equal((await fetch(badge.json.svgUrl)).status, 200);

  const graphql = await call(kernel, 'POST', '/graphql', { headers: acmeOps.headers, body: { query: '{ heartbeats { data { pingUrl } } }' } });
  t.equal(graphql.json.data?.heartbeats?.data?.[0]?.pingUrl, `${kernel.url}/ping/${hb.uuid}`, 'GraphQL answers the same links');
});

t.test('ITOPS_PUBLIC_URL wins over the request, with or without a trailing slash', async (t) => {
  const { kernel, acmeOps, create } = await heartbeatWorld(t, { env: { ITOPS_PUBLIC_URL: 'https://status.example.com/' } });
  const hb = await create();
  t.equal(hb.pingUrl, `https://status.example.com/ping/${hb.uuid}`);
  const viaName = await getWithHost(kernel.url, `/api/v1/heartbeats/${hb.id}`, 'evil.example:1', acmeOps.headers);
  t.equal(viaName.pingUrl, `https://status.example.com/ping/${hb.uuid}`, 'a forged Host header changes nothing');
});
