import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { parsePrivateNetworks } from './endpoint-address-policy.ts';
import { endpointsFromLabels, upsertEndpointsFromLabels } from './endpoint-labels.ts';
import { endpointWorld } from './endpoint.testkit.ts';

t.test('labels: one endpoint, or several under keys; settings parsed, problems named', async (t) => {
  const single = endpointsFromLabels(
    {
      'com.docker.compose.service': 'shop',
      'itops.endpoint.url': 'https://shop.example.com/health',
      'itops.endpoint.keyword': 'OK',
      'itops.endpoint.method': 'head',
      'itops.endpoint.interval': '30',
      'itops.endpoint.timeout': '5',
      'itops.endpoint.failure_threshold': '2',
      'itops.endpoint.ignore_tls_errors': 'yes',
      'itops.endpoint.enabled': 'true',
      'itops.endpoint.header.Authorization': 'Bearer abc',
    },
    'shop-1',
  );
  t.same(single, {
    endpoints: [
      {
        key: 'default',
        input: {
          url: 'https://shop.example.com/health',
          keyword: 'OK',
          method: 'HEAD',
          intervalSeconds: 30,
          timeoutSeconds: 5,
          failureThreshold: 2,
          ignoreTlsErrors: true,
          enabled: true,
          name: 'shop-1',
          headers: { Authorization: 'Bearer abc' },
        },
      },
    ],
    problems: [],
  });

  const several = endpointsFromLabels(
    {
      'itops.endpoint.web.url': 'http://web:8080/',
      'itops.endpoint.web.expected_status': '200-399',
      'itops.endpoint.db.url': 'tcp://db:5432',
      'itops.endpoint.db.name': 'postgres',
    },
    'app',
  );
  t.same(several.endpoints, [
    { key: 'db', input: { url: 'tcp://db:5432', name: 'postgres' } },
    { key: 'web', input: { url: 'http://web:8080/', expectedStatus: '200-399', name: 'app web' } },
  ]);

  const broken = endpointsFromLabels(
    {
      'itops.endpoint.api.interval': 'often',
      'itops.endpoint.api.url': 'http://api/',
      'itops.endpoint.api.colour': 'blue',
      'itops.endpoint.cache.keyword': 'PONG',
      'itops.endpoint.bad key.url': 'http://x/',
      'itops.endpoint.follow_redirects': 'maybe',
      'itops.endpoint.url': 'http://y/',
      'itops.endpoint.expected_status': '2xx',
      'itops.endpoint.method': 'FETCH',
    },
    'c',
  );
  t.same(
    broken.problems.map((p) => p.path),
    [
      'itops.endpoint.api.interval',
      'itops.endpoint.api.colour',
      'itops.endpoint.bad key.url',
      'itops.endpoint.follow_redirects',
      'itops.endpoint.expected_status',
      'itops.endpoint.method',
      'itops.endpoint.cache.url',
    ],
  );
  t.match(broken.problems[0], { message: 'must be a whole number from 10 to 86400' });
  t.match(broken.problems[6], { message: /is missing/ });
});

t.test('upserting a container’s endpoints from its labels', async (t) => {
  const { kernel, acmeOps, services, clock } = await endpointWorld(t);
  const { database, alerts } = services();
  const deps = {
    database,
    alerts,
    policy: { privateNetworks: parsePrivateNetworks(['127.0.0.0/8']), hostAllowlist: [], allowPrivate: false },
    clock: clock.now,
  };
  const container = { tenantId: 'acme', containerId: 'c0ffee', containerName: 'shop' };
  const labels = {
    'itops.endpoint.web.url': 'https://shop.test/health',
    'itops.endpoint.web.interval': '30',
    'itops.endpoint.db.url': 'tcp://db.test:5432',
    maintainer: 'ops',
  };
  const first = await upsertEndpointsFromLabels(deps, { ...container, labels });
  t.match(first, { updated: [], unchanged: [], deleted: [], problems: [] });
  t.equal(first.created.length, 2);
  const listed = await call(kernel, 'GET', '/api/v1/endpoints?containerId=c0ffee', { headers: acmeOps.headers });
  t.match(listed.json, { page: { total: 2 }, filters: { containerId: 'c0ffee' } });
  t.match(listed.json.data, [
    { name: 'shop db', type: 'tcp', source: 'labels', containerId: 'c0ffee' },
    { name: 'shop web', type: 'https', intervalSeconds: 30, certificateId: /^[0-9a-f-]{36}$/ },
  ]);
  const webId = listed.json.data[1].id;
  const certificateId = listed.json.data[1].certificateId;

  const again = await upsertEndpointsFromLabels(deps, { ...container, labels });
  t.match(again, { created: [], updated: [], deleted: [] }, 'the same labels change nothing');
  t.equal(again.unchanged.length, 2);

  const changed = await upsertEndpointsFromLabels(deps, {
    ...container,
    labels: { 'itops.endpoint.web.url': 'https://shop.test/health', 'itops.endpoint.web.interval': '120' },
  });
  t.same(changed.updated, [webId]);
  t.equal(changed.deleted.length, 1, 'the endpoint whose labels are gone is deleted');
  t.match((await call(kernel, 'GET', `/api/v1/endpoints/${webId}`, { headers: acmeOps.headers })).json, { intervalSeconds: 120 });

  const faulty = await upsertEndpointsFromLabels(deps, {
    ...container,
    labels: { 'itops.endpoint.web.url': 'https://shop.test/health', 'itops.endpoint.web.interval': 'often' },
  });
  t.match(faulty, { created: [], updated: [], deleted: [], problems: [{ path: 'itops.endpoint.web.interval' }] });
  t.match(
    (await call(kernel, 'GET', `/api/v1/endpoints/${webId}`, { headers: acmeOps.headers })).json,
    { intervalSeconds: 120 },
    'a faulty label keeps the previous settings',
  );
  const semantic = await upsertEndpointsFromLabels(deps, {
    ...container,
    labels: { 'itops.endpoint.web.url': 'https://shop.test/health', 'itops.endpoint.web.timeout': '30', 'itops.endpoint.web.interval': '30' },
  });
  t.match(semantic.problems, [{ path: 'itops.endpoint.web.timeout', message: /shorter than the interval/ }]);

  const gone = await upsertEndpointsFromLabels(deps, { ...container, labels: { maintainer: 'ops' } });
  t.same(gone.deleted, [webId]);
  t.equal((await call(kernel, 'GET', '/api/v1/endpoints', { headers: acmeOps.headers })).json.page.total, 0);
  t.equal(
    (await call(kernel, 'GET', `/api/v1/certificates/${certificateId}`, { headers: acmeOps.headers })).status,
    404,
    'its derived certificate monitor too',
  );
});
