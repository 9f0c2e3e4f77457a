import t from 'tap';
import { call, startTestKernel } from '../plugin-api/testing.ts';
import { routePlugin } from '../testing/inline-plugins.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';

const graphql = (kernel: { url: string }, query: string) =>
  fetch(`${kernel.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then(
    (r) => r.json() as Promise<any>,
  );

t.test('a plugin loads and unloads while the server runs', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin] });
  t.equal((await call(kernel, 'GET', '/api/v1/example/hello/Ada')).status, 200);
  t.same((await graphql(kernel, '{ exampleHello(name: "Ada") }')).data, { exampleHello: 'Hello, Ada!' });

  await kernel.plugins.unload('example');
  const gone = await call(kernel, 'GET', '/api/v1/example/hello/Ada');
  t.equal(gone.status, 404);
  t.equal(gone.json.error.code, 'not_found');
  t.match((await graphql(kernel, '{ exampleHello(name: "Ada") }')).errors[0].message, /Cannot query field "exampleHello"/);
  const openapi = await call(kernel, 'GET', '/api/v1/openapi');
  t.notOk(openapi.json.paths['/api/v1/example/hello/{name}'], 'the served contract no longer has the route');
  t.equal((await call(kernel, 'GET', '/.well-known/engine-status')).json.plugins[0].state, 'unloaded');

  await kernel.plugins.load('example');
  t.equal((await call(kernel, 'GET', '/api/v1/example/hello/Ada')).status, 200);
  t.same((await graphql(kernel, '{ exampleHello(name: "Bo") }')).data, { exampleHello: 'Hello, Bo!' });
  t.equal((await call(kernel, 'GET', '/.well-known/engine-status')).json.plugins[0].state, 'loaded');
  const rows = await kernel.database.query<{ state: string }>("SELECT state FROM core_plugin_state WHERE plugin_id = 'example'");
  t.same(rows, [{ state: 'loaded' }], 'the state is recorded in the database');
});

t.test('unloading a plugin unloads its dependents first', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [routePlugin('base'), routePlugin('addon', { requires: ['base'] })] });
  t.equal((await call(kernel, 'GET', '/api/v1/addon')).status, 200);
  await kernel.plugins.unload('base');
  t.equal((await call(kernel, 'GET', '/api/v1/addon')).status, 404);
  t.equal((await call(kernel, 'GET', '/api/v1/base')).status, 404);
  await t.rejects(kernel.plugins.load('addon'), { message: 'plugin addon requires base, which is not loaded' });
});

t.test('a plugin whose init throws is left off; the rest boot', async (t) => {
  const broken = routePlugin('broken', {
    init: () => {
      throw new Error('cannot reach the licence server');
    },
  });
  const dependent = routePlugin('dependent', { requires: ['broken'] });
  const kernel = await startTestKernel(t, { plugins: [broken, dependent, routePlugin('healthy')] });
  t.equal((await call(kernel, 'GET', '/api/v1/healthy')).status, 200);
  t.equal((await call(kernel, 'GET', '/api/v1/broken')).status, 404);
  const status = (await call(kernel, 'GET', '/.well-known/engine-status')).json.plugins;
  const byId = Object.fromEntries(status.map((p: any) => [p.id, p]));
  t.equal(byId.broken.state, 'failed');
  t.match(byId.broken.error, /cannot reach the licence server/);
  t.equal(byId.dependent.state, 'failed');
  t.match(byId.dependent.error, /requires broken, which is not loaded/);
  t.equal(byId.healthy.state, 'loaded');
});

t.test('a runtime load that would break the contract is refused and changes nothing', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [routePlugin('first', { path: '/api/v1/shared' })] });
  kernel.plugins.makeAvailable([routePlugin('second', { path: '/api/v1/shared' })]);
  await t.rejects(kernel.plugins.load('second'), { message: /GET \/api\/v1\/shared is defined by both first and second/ });
  const still = await call(kernel, 'GET', '/api/v1/shared');
  t.same(still.json, { plugin: 'first' });
  t.notOk(kernel.plugins.isLoaded('second'));
});

t.test('plugin services are offered only to plugins that require the provider', async (t) => {
  const { createServiceToken } = await import('../plugin-api/index.ts');
  const clock = createServiceToken<{ now(): string }>('test.clock');
  const provider = routePlugin('clock', {
    init: (ctx) => {
      ctx.provide(clock, { now: () => '2026-01-01T00:00:00Z' });
      ctx.handle('clockGet', () => ({}));
    },
  });
  const user = routePlugin('user', {
    requires: ['clock'],
    init: (ctx) => ctx.handle('userGet', () => ({ now: ctx.get(clock).now() })),
  });
  const stranger = routePlugin('stranger', { init: (ctx) => ctx.handle('strangerGet', () => ({ now: ctx.get(clock).now() })) });
  const kernel = await startTestKernel(t, { plugins: [provider, user, stranger] });
  t.same((await call(kernel, 'GET', '/api/v1/user')).json, { now: '2026-01-01T00:00:00Z' });
  t.equal((await call(kernel, 'GET', '/api/v1/stranger')).status, 500, 'an undeclared dependency is a server fault, never silent');
});

t.test('reconciling with a license loads what it allows and unloads what it no longer does', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [routePlugin('alpha'), routePlugin('beta', { requires: ['alpha'] }), routePlugin('gamma')] });
  const only = (ids: string[]) => (id: string) => ids.includes(id);
  const statuses = async () => Object.fromEntries((await call(kernel, 'GET', '/.well-known/engine-status')).json.plugins.map((p: any) => [p.id, p.state]));

  t.same(await kernel.plugins.reconcile(only(['gamma'])), { loaded: [], unloaded: ['beta', 'alpha'], failed: [] });
  t.same(await statuses(), { alpha: 'unlicensed', beta: 'unlicensed', gamma: 'loaded' });
  t.equal((await call(kernel, 'GET', '/api/v1/alpha')).status, 404);

  t.same(await kernel.plugins.reconcile(only(['alpha', 'beta', 'gamma'])), { loaded: ['alpha', 'beta'], unloaded: [], failed: [] });
  t.equal((await call(kernel, 'GET', '/api/v1/beta')).status, 200);
  t.same(await statuses(), { alpha: 'loaded', beta: 'loaded', gamma: 'loaded' });
});

// The router hands the merged contract to openapi-backend without a copy: what it serves must stay
// the contract as written, with its references, however many requests it has validated.
t.test('validating requests leaves the served contract as it was', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin] });
  const before = (await call(kernel, 'GET', '/api/v1/openapi')).text;
  t.match(before, /"\$ref":"#\/components\/schemas\/ExampleGreeting"/, 'references are served as references');
  t.equal((await call(kernel, 'GET', '/api/v1/example/hello/Ada')).status, 200);
  t.equal((await call(kernel, 'GET', '/api/v1/example/hello/Ada?times=9')).status, 400);
  t.equal((await call(kernel, 'POST', '/api/v1/example/scores', { body: { nope: true } })).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/openapi')).text, before, 'the same document after validation');
});
