import t from 'tap';
import { call, subscriptionClient } from '../../../core/plugin-api/testing.ts';
import { login, memberPassword } from '../../../core/testing/identity-fixtures.ts';
import { containerWorld, eventually } from './containers.testkit.ts';

type Kernel = Parameters<typeof call>[0];

const gql = (kernel: Kernel, headers: Record<string, string>, query: string, variables?: Record<string, unknown>) =>
  call(kernel, 'POST', '/graphql', { headers, body: { query, variables } });

const shop = { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' };

/** Every field of a REST container, for a selection that must give the same values. */
const containerFields = (container: Record<string, unknown>) => Object.keys(container).filter((key) => key !== 'uptime');

t.test('GraphQL containers and container: the same as REST, with uptime and transitions', async (t) => {
  const { kernel, engine, clock, get, listed, acmeViewer } = await containerWorld(t);
  engine.add({ Id: 'web1', Name: 'shop-web-1', Labels: shop, Health: 'healthy', RestartCount: 1 });
  engine.add({ Id: 'job1', Name: 'nightly', Image: 'alpine:3.19', Status: 'exited', ExitCode: 2 });
  const list = await listed((cs) => cs.length === 2 && cs.some((c) => c.state === 'exited'));
  const web = list.data.find((c: any) => c.name === 'shop-web-1');
  engine.emit('web1', 'die', { exitCode: '137' });
  const rest = (await listed((cs) => cs.some((c) => c.name === 'shop-web-1' && c.state === 'exited'))) as any;
  clock.advance(60);

  const fields = containerFields(rest.data[0]).join(' ');
  const answer = await gql(
    kernel,
    acmeViewer.headers,
    `query($id: ID!) {
       containers(sortBy: name, sortOrder: desc) {
         data { ${fields} } page { limit offset returned total } sort { by order } filters
         groups { key kind name total running stopped unhealthy }
       }
       container(id: $id) {
         id name state
         uptime { last24h { percent runningSeconds observedSeconds } last7d { percent runningSeconds observedSeconds } last30d { percent runningSeconds observedSeconds } }
         transitions(limit: 5, kind: state) { data { at kind from to exitCode } page { total } }
       }
     }`,
    { id: web.id },
  );
  t.notOk(answer.json.errors, 'no errors');
  const restList = (await get('/api/v1/containers?sortBy=name&sortOrder=desc')).json;
  t.same(answer.json.data.containers.data, restList.data, 'the same containers as REST, field for field');
  t.same(answer.json.data.containers.groups, restList.groups, 'and the same groups');
  t.same(answer.json.data.containers.page, restList.page);

  const detail = (await get(`/api/v1/containers/${web.id}`)).json;
  t.same(answer.json.data.container.uptime, detail.uptime, 'uptime as GET /containers/{id}');
  const transitions = (await get(`/api/v1/containers/${web.id}/transitions?limit=5&kind=state`)).json;
  t.same(
    answer.json.data.container.transitions.data,
    transitions.data.map(({ at, kind, from, to, exitCode }: any) => ({ at, kind, from, to, exitCode })),
    'transitions as REST, newest first',
  );
  t.match(answer.json.data.container.transitions.data[0], { from: 'running', to: 'exited', exitCode: 137 });

  const inList = await gql(kernel, acmeViewer.headers, '{ containers(state: exited) { data { name uptime { last24h { observedSeconds } } } } }');
  t.notOk(inList.json.errors);
  t.same(
    inList.json.data.containers.data.map((c: any) => c.name),
    ['nightly', 'shop-web-1'],
    'filtered by state; uptime read for a listed container too',
  );
});

t.test('GraphQL containers: no auth, wrong role, other tenant, bad arguments', async (t) => {
  const { kernel, engine, listed, admin, acmeOps, globexAdmin } = await containerWorld(t);
  engine.add({ Id: 'web1', Name: 'shop-web-1', Labels: shop });
  const web = (await listed((cs) => cs.length === 1)).data[0];
  const created = await call(kernel, 'POST', '/api/v1/users', {
    headers: admin.headers,
    body: { email: 'bill@acme.test', password: memberPassword, memberships: [{ tenantId: 'acme', role: 'billing' }] },
  });
  t.equal(created.status, 201);
  const billing = await login(kernel, 'bill@acme.test', memberPassword);

  for (const [field, query] of [
    ['containers', '{ containers { page { total } } }'],
    ['container', `{ container(id: "${web.id}") { id } }`],
  ]) {
    const anonymous = await gql(kernel, {}, query);
    t.equal(anonymous.json.data?.[field] ?? null, null, `${field} without credentials: no data`);
    t.equal(anonymous.json.errors[0].extensions.code, 'unauthorized', `${field} without credentials`);
    const denied = await gql(kernel, billing.headers, query);
    t.equal(denied.json.data?.[field] ?? null, null, `${field} as billing: no data`);
    t.match(denied.json.errors[0], { extensions: { code: 'forbidden' }, message: /containers\.containers:read/ }, `${field} as billing`);
    t.notOk((await gql(kernel, acmeOps.headers, query)).json.errors, `${field} as acme ops`);
  }

  const other = await gql(kernel, globexAdmin.headers, `{ container(id: "${web.id}") { id } containers { data { id } page { total } } }`);
  t.notOk(other.json.errors, 'another workspace is not an error…');
  t.same(other.json.data, { container: null, containers: { data: [], page: { total: 0 } } }, '…it sees nothing of acme’s');

  const unknown = await gql(kernel, acmeOps.headers, '{ container(id: "00000000-0000-4000-8000-000000000000") { id } }');
  t.same(unknown.json, { data: { container: null } }, 'an unknown id is null');
  for (const [query, path] of [
    ['{ container(id: "not-a-uuid") { id } }', '/id'],
    [`{ containers(group: "${'g'.repeat(301)}") { page { total } } }`, '/group'],
    [`{ containers(q: "${'x'.repeat(201)}") { page { total } } }`, '/q'],
  ]) {
    const bad = await gql(kernel, acmeOps.headers, query);
    t.equal(bad.json.errors?.[0]?.extensions?.code, 'validation_failed', `bad ${path}: validation_failed`);
    t.match(bad.json.errors?.[0]?.message, /contract/, `bad ${path}: says so`);
  }
  const tooMany = await gql(kernel, acmeOps.headers, '{ containers(limit: 100000) { page { total } } }');
  t.match(tooMany.json.errors[0], { extensions: { code: 'validation_failed' } }, 'a limit above the maximum');
  const badEnum = await gql(kernel, acmeOps.headers, '{ containers(state: sleeping) { page { total } } }');
  t.equal(badEnum.status, 400, 'a state outside the enum fails validation');
});

t.test('GraphQL container subscriptions: state changes of the own workspace; billing may not subscribe', async (t) => {
  const { kernel, engine, listed, admin, acmeOps } = await containerWorld(t);
  engine.add({ Id: 'web1', Name: 'shop-web-1', Labels: shop });
  await listed((cs) => cs.length === 1);
  await call(kernel, 'POST', '/api/v1/users', {
    headers: admin.headers,
    body: { email: 'bill@acme.test', password: memberPassword, memberships: [{ tenantId: 'acme', role: 'billing' }] },
  });
  const billing = await login(kernel, 'bill@acme.test', memberPassword);

  const refusals: unknown[] = [];
  subscriptionClient(t, kernel.url, billing.token).subscribe(
    { query: 'subscription { containerStateChanged { topic } }' },
    { next: (m) => (m.errors ? refusals.push(m.errors) : t.fail('billing heard a container')), error: (e) => refusals.push(e), complete: () => {} },
  );
  const refused = await eventually(() => (refusals.length === 1 ? refusals : undefined));
  t.match(refused, [[{ extensions: { code: 'forbidden' } }]], 'billing may not subscribe');

  const seen: any[] = [];
  subscriptionClient(t, kernel.url, acmeOps.token).subscribe(
    { query: 'subscription { containerStateChanged { topic tenantId payload } }' },
    { next: (m) => seen.push(m.data?.containerStateChanged), error: (e) => t.fail(String(e)), complete: () => {} },
  );
  // The subscription is live once an event of it arrives: stop and start the container until one does.
  let stopped = false;
  const heard = await eventually(
    async () => {
      if (seen.length === 0) {
        engine.emit('web1', stopped ? 'start' : 'die', stopped ? {} : { exitCode: '1' });
        stopped = !stopped;
      }
      return seen.length > 0 ? seen : undefined;
    },
    20_000,
    500,
  );
  t.match(heard?.[0], { topic: 'container.state_changed', tenantId: 'acme', payload: { name: 'shop-web-1' } });
});
