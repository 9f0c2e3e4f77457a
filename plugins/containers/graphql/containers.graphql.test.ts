import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import t from 'tap';
import { call, subscriptionClient } from '../../../core/plugin-api/testing.ts';
import { endpointWorld, eventually } from '../endpoints/endpoint.testkit.ts';
import { heartbeatWorld } from '../heartbeats/heartbeat.testkit.ts';

type Kernel = Parameters<typeof call>[0];

const gql = (kernel: Kernel, headers: Record<string, string>, query: string, variables?: Record<string, unknown>) =>
  call(kernel, 'POST', '/graphql', { headers, body: { query, variables } });

/** Sub-selections of the object-valued fields REST answers with (the rest are scalars or JSON). */
const nested: Record<string, string> = {
  openRuns: '{ rid startedAt }',
  chain: '{ subject issuer serialNumber notBefore notAfter fingerprint256 }',
};

/**
 * A selection of every field a REST item has: a field REST answers with that GraphQL lacks fails
 * validation, so the comparisons below check the types as well as the values.
 */
const fieldsOf = (item: Record<string, unknown>) => Object.keys(item).map((key) => `${key} ${nested[key] ?? ''}`.trim());

const envelope = (fields: string[]) => `data { ${fields.join(' ')} } page { limit offset returned total } sort { by order } filters`;

/** A local HTTP service whose health the test switches. */
async function service(t: { teardown(fn: () => unknown): void }) {
  const state = { healthy: true };
  const server = http.createServer((_req, res) => {
    if (state.healthy) res.writeHead(200, { 'content-type': 'text/plain' }).end('shop is OK');
    else res.writeHead(503).end('down for maintenance');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health` };
}

/** A loopback port nothing listens on (a certificate monitor of it records a failed handshake). */
async function closedPort() {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** acme's heartbeat (pinged: success, start, fail), endpoint (checked once) and certificate monitor (checked once). */
async function monitoredWorld(t: Parameters<typeof endpointWorld>[0]) {
  const world = await endpointWorld(t);
  const { kernel, acmeOps, create, checkedTimes, clock } = world;
  const rest = async (path: string, headers = acmeOps.headers) => {
    const response = await call(kernel, 'GET', path, { headers });
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${response.text}`);
    return response.json;
  };

  const created = await call(kernel, 'POST', '/api/v1/heartbeats', { headers: acmeOps.headers, body: { name: 'nightly backup', periodSeconds: 3600 } });
  const heartbeat = created.json as { id: string; uuid: string };
  for (const path of ['', '/start', '/fail']) {
    clock.advance(10);
    const answer = await fetch(`${kernel.url}/ping/${heartbeat.uuid}${path}`, { method: 'POST', body: `run ${path}` });
    if (answer.status !== 200) throw new Error(`ping ${path}: ${answer.status}`);
  }
  await call(kernel, 'POST', '/api/v1/heartbeats', { headers: acmeOps.headers, body: { name: 'weekly report', cron: '0 6 * * 1', timezone: 'Europe/Berlin' } });

  const shop = await service(t);
  const endpoint = await create({ name: 'shop', url: shop.url, headers: { Authorization: 'Bearer s3cret', 'X-Probe': 'itops' } });
  await checkedTimes(endpoint.id, 1);

  const port = await closedPort();
  const certificate = (await call(kernel, 'POST', '/api/v1/certificates', { headers: acmeOps.headers, body: { host: '127.0.0.1', port } })).json as {
    id: string;
  };
  await eventually(async () => ((await rest(`/api/v1/certificates/${certificate.id}/checks`)).page.total >= 1 ? true : undefined));
  return { ...world, rest, heartbeat, endpoint, certificate };
}

t.test('GraphQL queries answer what REST answers: heartbeats, endpoints, certificates and their histories', async (t) => {
  const { kernel, acmeViewer, rest, heartbeat, endpoint, certificate } = await monitoredWorld(t);
  const viewer = acmeViewer.headers;

  const heartbeats = await rest('/api/v1/heartbeats', viewer);
  t.equal(heartbeats.page.total, 2);
  const pings = await rest(`/api/v1/heartbeats/${heartbeat.id}/pings`, viewer);
  const executions = await rest(`/api/v1/heartbeats/${heartbeat.id}/executions`, viewer);
  t.equal(pings.page.total, 3);
  t.same(
    executions.data.map((e: { outcome: string }) => e.outcome),
    ['failure', 'success'],
  );
  const heartbeatFields = fieldsOf(heartbeats.data[0]);
  const answer = await gql(
    kernel,
    viewer,
    `query ($id: ID!) {
      heartbeats { ${envelope(heartbeatFields)} }
      heartbeat(id: $id) {
        ${heartbeatFields.join(' ')}
        pings { ${envelope(fieldsOf(pings.data[0]))} }
        executions { ${envelope(fieldsOf(executions.data[0]))} }
      }
    }`,
    { id: heartbeat.id },
  );
  t.equal(answer.status, 200, answer.text);
  t.notOk(answer.json.errors, 'no errors');
  t.same(answer.json.data.heartbeats, heartbeats, 'the list: items, page, sort and filters as REST');
  const { pings: gqlPings, executions: gqlExecutions, ...one } = answer.json.data.heartbeat;
  t.same(one, await rest(`/api/v1/heartbeats/${heartbeat.id}`, viewer), 'one heartbeat as REST');
  t.same(gqlPings, pings, 'its pings as REST');
  t.same(gqlExecutions, executions, 'its executions as REST');

  const filtered = await gql(
    kernel,
    viewer,
    `{ heartbeats(limit: 1, offset: 0, sortBy: createdAt, sortOrder: desc, q: "report") { ${envelope(['name'])} }
       down: heartbeats(status: down) { data { id status } page { total } filters } }`,
  );
  t.same(filtered.json.data.heartbeats, {
    data: [{ name: 'weekly report' }],
    page: { limit: 1, offset: 0, returned: 1, total: 1 },
    sort: { by: 'createdAt', order: 'desc' },
    filters: { q: 'report' },
  });
  t.same(filtered.json.data.down, { data: [{ id: heartbeat.id, status: 'down' }], page: { total: 1 }, filters: { status: 'down' } });
  const failsOnly = await gql(kernel, viewer, `{ heartbeat(id: "${heartbeat.id}") { pings(kind: fail, limit: 5) { data { kind body } page { total } } } }`);
  t.same(failsOnly.json.data.heartbeat.pings, { data: [{ kind: 'fail', body: 'run /fail' }], page: { total: 1 } });
  const listedExecutions = await gql(kernel, viewer, '{ heartbeats(status: down) { data { executions(limit: 1) { data { outcome } page { total } } } } }');
  t.same(listedExecutions.json.data.heartbeats.data, [{ executions: { data: [{ outcome: 'failure' }], page: { total: 2 } } }], 'executions from a list item');

  const endpoints = await rest('/api/v1/endpoints', viewer);
  const checks = await rest(`/api/v1/endpoints/${endpoint.id}/checks`, viewer);
  t.equal(checks.page.total, 1);
  t.equal(endpoints.data[0].headers.Authorization, '<redacted>');
  const endpointFields = fieldsOf(endpoints.data[0]);
  const endpointAnswer = await gql(
    kernel,
    viewer,
    `query ($id: ID!) {
      endpoints { ${envelope(endpointFields)} }
      endpoint(id: $id) { ${endpointFields.join(' ')} checks { ${envelope(fieldsOf(checks.data[0]))} } }
      failed: endpoint(id: $id) { checks(ok: false) { page { total } filters } }
      filtered: endpoints(type: http, status: up, q: "sho", containerId: "c1") { page { total } filters }
    }`,
    { id: endpoint.id },
  );
  t.notOk(endpointAnswer.json.errors, endpointAnswer.text);
  t.same(endpointAnswer.json.data.endpoints, endpoints, 'endpoints as REST (credential headers redacted alike)');
  const { checks: gqlChecks, ...oneEndpoint } = endpointAnswer.json.data.endpoint;
  t.same(oneEndpoint, await rest(`/api/v1/endpoints/${endpoint.id}`, viewer), 'one endpoint as REST');
  t.same(gqlChecks, checks, 'its checks as REST');
  t.same(endpointAnswer.json.data.failed.checks, { page: { total: 0 }, filters: { ok: false } });
  t.same(endpointAnswer.json.data.filtered, { page: { total: 0 }, filters: { q: 'sho', status: 'up', type: 'http', containerId: 'c1' } });
  const since = await gql(kernel, viewer, `query ($id: ID!, $since: DateTime) { endpoint(id: $id) { checks(since: $since) { page { total } filters } } }`, {
    id: endpoint.id,
    since: checks.data[0].checkedAt,
  });
  t.same(since.json.data.endpoint.checks, { page: { total: 1 }, filters: { since: checks.data[0].checkedAt } }, 'a time range as REST takes it');

  const certificates = await rest('/api/v1/certificates', viewer);
  const certificateChecks = await rest(`/api/v1/certificates/${certificate.id}/checks`, viewer);
  t.match(certificates.data[0], { id: certificate.id, status: 'error', source: 'manual' });
  const certificateFields = fieldsOf(certificates.data[0]);
  const certificateAnswer = await gql(
    kernel,
    viewer,
    `query ($id: ID!) {
      certificates { ${envelope(certificateFields)} }
      certificate(id: $id) { ${certificateFields.join(' ')} checks { ${envelope(fieldsOf(certificateChecks.data[0]))} } }
      manual: certificates(source: manual, status: error, sortBy: host, sortOrder: desc) { page { total } sort { by order } filters }
    }`,
    { id: certificate.id },
  );
  t.notOk(certificateAnswer.json.errors, certificateAnswer.text);
  t.same(certificateAnswer.json.data.certificates, certificates, 'certificate monitors as REST');
  const { checks: gqlCertificateChecks, ...oneCertificate } = certificateAnswer.json.data.certificate;
  t.same(oneCertificate, await rest(`/api/v1/certificates/${certificate.id}`, viewer), 'one monitor as REST');
  t.same(gqlCertificateChecks, certificateChecks, 'its checks as REST');
  t.same(certificateAnswer.json.data.manual, { page: { total: 1 }, sort: { by: 'host', order: 'desc' }, filters: { status: 'error', source: 'manual' } });
});

t.test('GraphQL queries: no auth, wrong role, other tenant, bad arguments', async (t) => {
  const { kernel, acmeOps, globexAdmin, billing, heartbeat, endpoint, certificate } = await monitoredWorld(t);
  const queries: [string, string, string][] = [
    ['heartbeats', '{ heartbeats { page { total } } }', 'containers.heartbeats:read'],
    ['heartbeat', `{ heartbeat(id: "${heartbeat.id}") { id } }`, 'containers.heartbeats:read'],
    ['endpoints', '{ endpoints { page { total } } }', 'containers.endpoints:read'],
    ['endpoint', `{ endpoint(id: "${endpoint.id}") { id } }`, 'containers.endpoints:read'],
    ['certificates', '{ certificates { page { total } } }', 'containers.certificates:read'],
    ['certificate', `{ certificate(id: "${certificate.id}") { id } }`, 'containers.certificates:read'],
  ];

  const bill = await billing();
  for (const [field, query, permission] of queries) {
    const anonymous = await gql(kernel, {}, query);
    t.equal(anonymous.status, 200);
    t.equal(anonymous.json.data?.[field] ?? null, null, `${field} without credentials: no data`);
    t.equal(anonymous.json.errors[0].extensions.code, 'unauthorized', `${field} without credentials`);

    const denied = await gql(kernel, bill.headers, query);
    t.equal(denied.json.data?.[field] ?? null, null, `${field} as billing: no data`);
    t.match(denied.json.errors[0], { extensions: { code: 'forbidden' }, message: new RegExp(permission) }, `${field} as billing (no ${permission})`);

    const own = await gql(kernel, acmeOps.headers, query);
    t.notOk(own.json.errors, `${field} as acme ops`);
  }

  const other = await gql(
    kernel,
    globexAdmin.headers,
    `{ heartbeat(id: "${heartbeat.id}") { id } endpoint(id: "${endpoint.id}") { id } certificate(id: "${certificate.id}") { id }
       heartbeats { data { id } page { total } } endpoints { data { id } page { total } } certificates { data { id } page { total } } }`,
  );
  t.notOk(other.json.errors, 'another workspace is not an error…');
  t.same(
    other.json.data,
    {
      heartbeat: null,
      endpoint: null,
      certificate: null,
      heartbeats: { data: [], page: { total: 0 } },
      endpoints: { data: [], page: { total: 0 } },
      certificates: { data: [], page: { total: 0 } },
    },
    '…it sees none of acme’s monitors, by id or in lists',
  );
  const asked = await gql(kernel, { ...globexAdmin.headers, 'x-workspace-id': 'acme' }, '{ heartbeats { page { total } } }');
  t.equal(asked.json.errors[0].extensions.code, 'not_found', 'naming a workspace it is not in: not found');

  const unknown = await gql(kernel, acmeOps.headers, '{ heartbeat(id: "00000000-0000-4000-8000-000000000000") { id } }');
  t.same(unknown.json, { data: { heartbeat: null } }, 'an unknown id is null');
  for (const query of [
    '{ heartbeat(id: "not-a-uuid") { id } }',
    '{ endpoint(id: "42") { id } }',
    '{ heartbeats(limit: 0) { page { total } } }',
    '{ endpoints(limit: 1001) { page { total } } }',
    '{ certificates(offset: -1) { page { total } } }',
    `{ heartbeats(q: "${'x'.repeat(201)}") { page { total } } }`,
    `{ endpoint(id: "${endpoint.id}") { checks(since: "2026-03-10T12:00:00Z", until: "2026-03-09T12:00:00Z") { page { total } } } }`,
    `{ endpoint(id: "${endpoint.id}") { checks(since: "yesterday") { page { total } } } }`,
  ]) {
    const bad = await gql(kernel, acmeOps.headers, query);
    t.equal(bad.json.errors?.[0]?.extensions?.code, 'validation_failed', `${query.slice(0, 60)}: validation_failed`);
  }
  const badEnum = await gql(kernel, acmeOps.headers, '{ heartbeats(status: gone) { page { total } } }');
  t.equal(badEnum.status, 400, 'a status outside the enum fails validation');
});

t.test('subscriptions: a real fail ping and a missed deadline reach the workspace’s subscribers, and only them', async (t) => {
  const { kernel, acmeOps, globexAdmin, create, ping, clock, becomes } = await heartbeatWorld(t);
  const acme = subscriptionClient(t, kernel.url, acmeOps.token);
  const globex = subscriptionClient(t, kernel.url, globexAdmin.token);
  type Heard = { field: string; topic: string; tenantId: string; payload: any };
  const seen: Record<'acme' | 'globex', Heard[]> = { acme: [], globex: [] };
  for (const [who, client] of [
    ['acme', acme],
    ['globex', globex],
  ] as const) {
    for (const field of ['heartbeatPinged', 'heartbeatDeadlineMissed', 'heartbeatPaused', 'heartbeatResumed', 'heartbeatDeleted']) {
      client.subscribe(
        { query: `subscription { ${field} { topic tenantId payload } }` },
        {
          next: (m: any) => (m.errors ? t.fail(`${who} ${field}: ${JSON.stringify(m.errors)}`) : seen[who].push({ field, ...m.data[field] })),
          error: (e) => t.fail(`${who} ${field}: ${JSON.stringify(e)}`),
          complete: () => {},
        },
      );
    }
  }

  // Each workspace pings a heartbeat of its own until its subscriber hears of it: both are listening from then on.
  const acmeBeat = await create();
  const globexBeat = await create({ name: 'globex job' }, globexAdmin.headers);
  for (const [who, beat] of [
    ['acme', acmeBeat],
    ['globex', globexBeat],
  ] as const) {
    const heard = await eventually(async () => {
      if (seen[who].some((e) => e.payload.heartbeatId === beat.id)) return true;
      clock.advance(61); // heartbeat.pinged of an unchanged status: at most once a minute
      await ping(`/ping/${beat.uuid}`);
      return undefined;
    });
    t.ok(heard, `${who}'s subscriber is live`);
  }

  const failed = await ping(`/ping/${acmeBeat.uuid}/fail`, { method: 'POST', body: 'exit 3' });
  t.equal(failed.status, 200);
  const pinged = await eventually(() => seen.acme.find((e) => e.field === 'heartbeatPinged' && e.payload.kind === 'fail'));
  t.match(pinged, {
    topic: 'heartbeat.pinged',
    tenantId: 'acme',
    payload: { heartbeatId: acmeBeat.id, name: 'nightly backup', kind: 'fail', status: 'down', previousStatus: 'up', receivedAt: clock.iso() },
  });

  // Up again, then silent past deadline and grace: the deadline loop takes it down.
  await ping(`/ping/${acmeBeat.uuid}`);
  clock.advance(3601);
  await becomes(acmeBeat.id, 'late');
  clock.advance(300);
  await becomes(acmeBeat.id, 'down');
  const missed = await eventually(() => seen.acme.find((e) => e.field === 'heartbeatDeadlineMissed'));
  t.match(missed, { topic: 'heartbeat.deadline_missed', tenantId: 'acme', payload: { heartbeatId: acmeBeat.id, status: 'down', previousStatus: 'late' } });

  // Paused, resumed, deleted: each arrives on its own field.
  for (const [action, method] of [
    ['pause', 'POST'],
    ['resume', 'POST'],
  ] as const) {
    const answer = await call(kernel, method, `/api/v1/heartbeats/${acmeBeat.id}/${action}`, { headers: acmeOps.headers });
    t.equal(answer.status, 200, action);
  }
  t.equal((await call(kernel, 'DELETE', `/api/v1/heartbeats/${acmeBeat.id}`, { headers: acmeOps.headers })).status, 204);
  for (const [field, topic, status] of [
    ['heartbeatPaused', 'heartbeat.paused', 'paused'],
    ['heartbeatResumed', 'heartbeat.resumed', 'new'],
    ['heartbeatDeleted', 'heartbeat.deleted', undefined],
  ] as const) {
    const heard = await eventually(() => seen.acme.find((e) => e.field === field));
    t.match(heard, { topic, tenantId: 'acme', payload: { heartbeatId: acmeBeat.id, ...(status ? { status } : {}) } }, field);
  }

  await new Promise((resolve) => setTimeout(resolve, 300));
  t.ok(seen.globex.length > 0, 'globex heard its own heartbeat');
  t.same(
    seen.globex.filter((e) => e.tenantId !== 'globex' || e.payload.heartbeatId !== globexBeat.id),
    [],
    'and nothing of acme’s',
  );
  t.notOk(
    seen.acme.some((e) => e.payload.heartbeatId === globexBeat.id),
    'acme heard nothing of globex’s',
  );
});

t.test('subscriptions: endpoint alert and recovery; a role without the permission cannot subscribe', async (t) => {
  const { kernel, acmeOps, billing, create, checkedTimes, clock } = await endpointWorld(t);
  const bill = await billing();
  const acme = subscriptionClient(t, kernel.url, acmeOps.token);
  const billed = subscriptionClient(t, kernel.url, bill.token);

  const refusals: unknown[] = [];
  for (const field of ['heartbeatPinged', 'endpointAlert', 'certificateAlert']) {
    billed.subscribe(
      { query: `subscription { ${field} { topic } }` },
      { next: (m) => (m.errors ? refusals.push(m.errors) : t.fail(`billing heard ${field}`)), error: (e) => refusals.push(e), complete: () => {} },
    );
  }
  const refused = await eventually(() => (refusals.length === 3 ? refusals : undefined));
  t.match(
    refused,
    [[{ extensions: { code: 'forbidden' } }], [{ extensions: { code: 'forbidden' } }], [{ extensions: { code: 'forbidden' } }]],
    'billing may not subscribe',
  );

  const seen: { field: string; payload: any }[] = [];
  for (const field of ['endpointCheckResult', 'endpointAlert', 'endpointRecovery']) {
    acme.subscribe(
      { query: `subscription { ${field} { topic payload } }` },
      {
        next: (m: any) => (m.errors ? t.fail(`${field}: ${JSON.stringify(m.errors)}`) : seen.push({ field, payload: m.data[field].payload })),
        error: (e) => t.fail(JSON.stringify(e)),
        complete: () => {},
      },
    );
  }
  const shop = await service(t);
  // The endpoint is checked until the subscriber hears a result: it is listening from then on.
  const probe = await create({ name: 'probe', url: shop.url, intervalSeconds: 60 });
  const live = await eventually(async () => {
    if (seen.some((e) => e.field === 'endpointCheckResult' && e.payload.endpointId === probe.id)) return true;
    clock.advance(60);
    return undefined;
  });
  t.ok(live, 'the subscriber is live');

  shop.state.healthy = false;
  const endpoint = await create({ name: 'shop', url: shop.url, failureThreshold: 1, intervalSeconds: 60 });
  await checkedTimes(endpoint.id, 1);
  const alert = await eventually(() => seen.find((e) => e.field === 'endpointAlert' && e.payload.endpointId === endpoint.id));
  t.match(alert?.payload, { name: 'shop', status: 'down', consecutiveFailures: 1 });
  shop.state.healthy = true;
  clock.advance(60);
  await checkedTimes(endpoint.id, 2);
  const recovery = await eventually(() => seen.find((e) => e.field === 'endpointRecovery' && e.payload.endpointId === endpoint.id));
  t.match(recovery?.payload, { name: 'shop', status: 'up', previousStatus: 'down' });
});
