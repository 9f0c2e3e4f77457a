import { spawnSync } from 'node:child_process';
import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { heartbeatWorld } from '../heartbeats/heartbeat.testkit.ts';

const promtool = spawnSync('promtool', ['--version']).status === 0;

t.test("/metrics: the scraping workspace's monitors, behind a metrics permission", async (t) => {
  const world = await heartbeatWorld(t);
  const { kernel, acmeOps, acmeViewer, globexAdmin, create, ping, becomes, clock } = world;
  const backup = await create({ name: 'nightly "backup"' });
  await create({ name: 'never pinged' });
  await ping(`/ping/${backup.uuid}`);
  await becomes(backup.id, 'up');
  clock.advance(90);

  t.equal((await call(kernel, 'GET', '/metrics')).status, 401, 'no credentials, no metrics');

  const acme = await call(kernel, 'GET', '/metrics', { headers: acmeViewer.headers });
  t.equal(acme.status, 200);
  t.match(acme.headers.get('content-type'), /^text\/plain/);
  const labels = `id="${backup.id}",name="nightly \\"backup\\"",workspace="acme"`;
  t.match(acme.text, `itops_containers_heartbeat_up{${labels}} 1\n`);
  t.match(acme.text, `itops_containers_heartbeat_status{id="${backup.id}",name="nightly \\"backup\\"",status="up",workspace="acme"} 1\n`);
  t.match(acme.text, `itops_containers_heartbeat_last_ping_age_seconds{${labels}} 90\n`);
  t.match(acme.text, /itops_containers_heartbeat_status\{id="[^"]+",name="never pinged",status="new",workspace="acme"\} 1/);
  t.match(acme.text, '# TYPE itops_containers_endpoint_up gauge');
  t.match(acme.text, /itops_http_requests_total\{/, 'the node metrics come along');
  t.notMatch(acme.text, /^[a-z_]+_total\{[^}]*\} .*\n(?=# TYPE \S+ gauge)/m);

  const key = await call(kernel, 'POST', '/api/v1/apikeys', { headers: world.acmeAdmin.headers, body: { name: 'prometheus', scope: 'viewer' } });
  t.equal(key.status, 201, key.text);
  const scraped = await call(kernel, 'GET', '/metrics', { headers: { 'x-api-key': key.json.api_key } });
  t.equal(scraped.status, 200, 'a viewer-scoped API key scrapes');
  t.match(scraped.text, `itops_containers_heartbeat_up{${labels}} 1\n`);

  const globex = await call(kernel, 'GET', '/metrics', { headers: globexAdmin.headers });
  t.equal(globex.status, 200);
  t.notMatch(globex.text, 'nightly', "another workspace's monitors stay out");
  t.notMatch(globex.text, 'workspace="acme"');

  const bodies = [acme.text, (await call(kernel, 'GET', '/metrics', { headers: acmeOps.headers })).text];
  t.test(
    'promtool check metrics passes on the whole output',
    { skip: promtool ? false : 'promtool is not installed (Debian package prometheus; .ci/run installs it)' },
    async (t) => {
      for (const body of bodies) {
        const checked = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
        t.equal(checked.status, 0, `promtool check metrics: ${checked.stdout}${checked.stderr}`);
      }
    },
  );
});
