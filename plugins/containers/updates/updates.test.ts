import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { containerWorld, eventually } from '../containers/containers.testkit.ts';
import { newestVersion, parseImage } from './registry-client.ts';
import { digest, startRegistry } from './registry.testkit.ts';

t.test('image references and version tags', async (t) => {
  t.same(parseImage('nginx'), { registry: 'registry-1.docker.io', repository: 'library/nginx', tag: 'latest' });
  t.same(parseImage('grafana/grafana:10.4.1'), { registry: 'registry-1.docker.io', repository: 'grafana/grafana', tag: '10.4.1' });
  t.same(parseImage('localhost:5000/acme/shop:1.4.2@sha256:abc'), { registry: 'localhost:5000', repository: 'acme/shop', tag: '1.4.2' });
  t.same(newestVersion('1.4.2', ['1.4.2', '1.4.3', '1.5.0', '2.0.0-rc1', 'latest']), { tag: '1.5.0', type: 'minor' });
  t.same(newestVersion('1.4.2-alpine', ['1.4.3', '1.4.3-alpine', '2.0.0']), { tag: '1.4.3-alpine', type: 'patch' }, 'the same suffix only');
  t.same(newestVersion('v2.1', ['v2.1', 'v3.0', '3.1', 'v3.0.1']), { tag: 'v3.0', type: 'major' }, 'the same prefix and number of parts');
  t.equal(newestVersion('latest', ['1.0.0']), null);
});

t.test('scans compare running digests with the registry; pins, exclusions, dry run and summary', async (t) => {
  const registry = await startRegistry(t);
  const { kernel, engine, get, listed, acmeOps, acmeViewer, globexAdmin } = await containerWorld(t, {
    env: { ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST: 'localhost' },
  });
  const r = registry.host;
  registry.repo('acme/shop', { '1.4.2': digest('1'), '1.4.3': digest('2'), '1.5.0': digest('3'), '2.0.0': digest('4'), latest: digest('4') });
  registry.repo('acme/cache', { latest: digest('9') });
  registry.repo('acme/db', { '16.1': digest('5'), '16.2': digest('6') });
  engine.add({ Id: 'web1', Name: 'shop', Image: `${r}/acme/shop:1.4.2`, ImageDigest: digest('a'), RepoDigests: [`${r}/acme/shop@${digest('1')}`] });
  engine.add({ Id: 'cache1', Name: 'cache', Image: `${r}/acme/cache:latest`, ImageDigest: digest('b'), RepoDigests: [`${r}/acme/cache@${digest('8')}`] });
  engine.add({ Id: 'db1', Name: 'db', Image: `${r}/acme/db:16.2`, ImageDigest: digest('c'), RepoDigests: [`${r}/acme/db@${digest('6')}`] });
  engine.add({ Id: 'old1', Name: 'legacy-app', Image: `${r}/acme/legacy:0.9`, ImageDigest: digest('d') });
  const containers = (await listed((cs) => cs.length === 4 && cs.every((c) => c.state === 'running'))).data;
  const id = (name: string) => containers.find((c: any) => c.name === name).id;
  const post = (path: string, body?: unknown, headers = acmeOps.headers) => call(kernel, 'POST', path, { headers, body });
  const del = (path: string, headers = acmeOps.headers) => call(kernel, 'DELETE', path, { headers });

  const exclusion = await post('/api/v1/updates/exclusions', { pattern: 'legacy-*', reason: 'frozen until migration' });
  t.equal(exclusion.status, 201, exclusion.text);
  t.match(exclusion.json, { id: /^[0-9a-f-]{36}$/, pattern: 'legacy-*', reason: 'frozen until migration' });
  t.equal((await post('/api/v1/updates/exclusions', { pattern: 'legacy-*' })).status, 409, 'the same pattern twice');
  t.equal((await post('/api/v1/updates/exclusions', { pattern: '' })).status, 400);
  t.equal((await post('/api/v1/updates/exclusions', { pattern: 'x' }, acmeViewer.headers)).status, 403);
  t.same(
    (await get('/api/v1/updates/exclusions')).json.data.map((e: any) => e.pattern),
    ['legacy-*'],
  );

  const dry = await get('/api/v1/updates/dry-run');
  t.match(dry.json, { checks: 3, skips: 1 });
  t.match(
    dry.json.containers.find((c: any) => c.name === 'legacy-app'),
    { action: 'skip', reason: 'excluded by legacy-*' },
  );
  t.match(
    dry.json.containers.find((c: any) => c.name === 'shop'),
    { action: 'check', registry: r, repository: 'acme/shop', tag: '1.4.2' },
  );
  t.equal(registry.requests.length, 0, 'a dry run asks no registry');
  t.match((await get(`/api/v1/updates/container/${id('shop')}`)).json, { status: 'unchecked', pinned: false });

  t.equal((await post('/api/v1/updates/scan', undefined, acmeViewer.headers)).status, 403);
  t.equal((await call(kernel, 'POST', '/api/v1/updates/scan')).status, 401);
  const scan = await post('/api/v1/updates/scan');
  t.equal(scan.status, 202, scan.text);
  t.match(scan.json, { scanId: /^[0-9a-f-]{36}$/, status: 'queued' });
  const done = await eventually(async () => {
    const s = (await get(`/api/v1/updates/scan/${scan.json.scanId}`)).json;
    return s.status === 'completed' || s.status === 'failed' ? s : undefined;
  });
  t.match(done, { status: 'completed', containersChecked: 3, updatesFound: 2, finishedAt: String });
  t.equal((await get(`/api/v1/updates/scan/${scan.json.scanId}`, globexAdmin.headers)).status, 404);
  t.ok(
    registry.requests.some((q) => q.startsWith('GET /token?') && q.includes('service=registry.test')),
    'a bearer token was fetched from the realm',
  );

  const available = await get('/api/v1/updates');
  t.same(
    available.json.data.map((u: any) => [u.containerName, u.updateType, u.latestTag]),
    [
      ['cache', 'digest', 'latest'],
      ['shop', 'major', '2.0.0'],
    ],
  );
  t.match(available.json.data[1], { status: 'available', currentTag: '1.4.2', currentDigest: digest('1'), latestDigest: digest('4'), detectedAt: String });
  t.same(
    (await get('/api/v1/updates?update_type=major')).json.data.map((u: any) => u.containerName),
    ['shop'],
  );
  t.same(
    (await get('/api/v1/updates?status=up_to_date')).json.data.map((u: any) => u.containerName),
    ['db'],
  );
  t.equal((await get('/api/v1/updates?update_type=huge')).status, 400);
  t.match((await get('/api/v1/updates/summary')).json, {
    total: 4,
    available: 2,
    byType: { major: 1, minor: 0, patch: 0, digest: 1 },
    upToDate: 1,
    excluded: 1,
    pinned: 0,
    errors: 0,
    lastScan: { scanId: scan.json.scanId, status: 'completed' },
  });

  const pinned = await post(`/api/v1/updates/pin/${id('shop')}`, { reason: 'waiting for 2.x migration' });
  t.equal(pinned.status, 200, pinned.text);
  t.match(pinned.json, { containerId: id('shop'), reason: 'waiting for 2.x migration', digest: digest('a') });
  t.same(
    (await get('/api/v1/updates')).json.data.map((u: any) => u.containerName),
    ['cache'],
    'a pinned update is not offered',
  );
  t.match((await get(`/api/v1/updates/container/${id('shop')}`)).json, { status: 'pinned', pinned: true, updateType: 'major' });
  t.equal((await post(`/api/v1/updates/pin/${id('shop')}`, {}, globexAdmin.headers)).status, 404);
  t.equal((await del(`/api/v1/updates/pin/${id('shop')}`)).status, 204);
  t.equal((await del(`/api/v1/updates/pin/${id('shop')}`)).status, 404, 'not pinned any more');
  t.same(
    (await get('/api/v1/updates')).json.data.map((u: any) => u.containerName),
    ['cache', 'shop'],
  );

  // A second scan finds nothing new: no update.detected again.
  const again = await post('/api/v1/updates/scan');
  t.equal(again.status, 202);
  await eventually(async () => ((await get(`/api/v1/updates/scan/${again.json.scanId}`)).json.status === 'completed' ? true : undefined));
  const events = await kernel.database.platform.query<{ topic: string; payload: any }>(
    "SELECT topic, payload FROM event_outbox WHERE topic LIKE 'update.%' ORDER BY id",
  );
  t.same(
    events.map((e) => e.topic),
    [
      'update.scan_started',
      'update.detected',
      'update.detected',
      'update.scan_completed',
      'update.pinned',
      'update.unpinned',
      'update.scan_started',
      'update.scan_completed',
    ],
  );
  const exclusionId = exclusion.json.id;
  t.equal((await del(`/api/v1/updates/exclusions/${exclusionId}`, globexAdmin.headers)).status, 404);
  t.equal((await del(`/api/v1/updates/exclusions/${exclusionId}`)).status, 204);
  t.equal((await del(`/api/v1/updates/exclusions/${exclusionId}`)).status, 404);

  // Requests at once race for the one open scan: each gets a scan or a 409, none a 500.
  const raced = await Promise.all(Array.from({ length: 6 }, () => post('/api/v1/updates/scan')));
  t.ok(
    raced.every((r) => r.status === 202 || r.status === 409),
    raced.map((r) => r.status).join(' '),
  );
  t.ok(raced.some((r) => r.status === 202));
  t.match(raced.find((r) => r.status === 409)?.json ?? { error: { code: 'conflict' } }, { error: { code: 'conflict' } });
});

t.test('the daily job queues one scan per workspace with containers', async (t) => {
  const registry = await startRegistry(t);
  registry.repo('acme/db', { '16.2': digest('6') });
  const { kernel, engine, get, listed } = await containerWorld(t, { env: { ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST: 'localhost' } });
  engine.add({
    Id: 'db1',
    Name: 'db',
    Image: `${registry.host}/acme/db:16.2`,
    ImageDigest: digest('c'),
    RepoDigests: [`${registry.host}/acme/db@${digest('6')}`],
  });
  await listed((cs) => cs.length === 1);
  await kernel.jobs.send('containers.update_scan_daily', {});
  const summary = await eventually(async () => {
    const s = (await get('/api/v1/updates/summary')).json;
    return s.lastScan?.status === 'completed' ? s : undefined;
  });
  t.match(summary, { total: 1, upToDate: 1, lastScan: { containersChecked: 1, updatesFound: 0 } });
  const scans = await kernel.database.platform.query<{ tenant_id: string }>('SELECT tenant_id FROM update_scan');
  t.same(
    scans.map((s) => s.tenant_id),
    ['acme'],
    'only the workspace with containers',
  );
});
