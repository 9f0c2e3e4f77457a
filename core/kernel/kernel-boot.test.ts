import t from 'tap';
import { definePlugin } from '../plugin-api/index.ts';
import { call, type startTestKernel } from '../plugin-api/testing.ts';
import { routePlugin } from '../testing/inline-plugins.ts';
import { cloneTestDatabase } from '../testing/test-database.ts';
import { Kernel } from './kernel.ts';

type Kernelish = Awaited<ReturnType<typeof startTestKernel>>;

/** Boots with the given plugins plus a healthy one, and returns the kernel: a broken plugin must not stop the boot. */
async function bootWith(t: Parameters<typeof startTestKernel>[0], plugins: unknown[], options: { pluginInitTimeoutMs?: number } = {}): Promise<Kernelish> {
  const database = await cloneTestDatabase();
  const kernel = await Kernel.start({
    env: { ITOPS_PORT: '0', ITOPS_HOST: '127.0.0.1', ITOPS_LOG_LEVEL: 'silent', DATABASE_URL: database.url, ITOPS_WORKER_THREADS: '1', NODE_ENV: 'test' },
    plugins: [...plugins, routePlugin('healthy')],
    firstParty: false,
    pluginInitTimeoutMs: options.pluginInitTimeoutMs,
  });
  t.teardown(async () => {
    await kernel.stop();
    await database.drop();
  });
  return kernel;
}

/** The state and reason the kernel reports for a plugin, as GET /api/v1/edition and the log show it. */
const statusOf = (kernel: Kernelish, id: string) => kernel.plugins.statuses().find((p) => p.id === id);

/** The healthy plugin still answers: the server is up and serving. */
async function stillServes(t: { equal: (a: unknown, b: unknown) => void }, kernel: Kernelish) {
  t.equal((await call(kernel, 'GET', '/api/v1/healthy')).status, 200);
}

t.test('a duplicate operationId leaves the second plugin off, naming both', async (t) => {
  const kernel = await bootWith(t, [routePlugin('alpha', { operationId: 'getThing' }), routePlugin('beta', { operationId: 'getThing' })]);
  t.equal(statusOf(kernel, 'alpha')?.state, 'loaded');
  t.equal(statusOf(kernel, 'beta')?.state, 'failed');
  t.match(statusOf(kernel, 'beta')?.error, /operationId "getThing" is defined by both alpha and beta/);
  t.equal((await call(kernel, 'GET', '/api/v1/beta')).status, 404);
  await stillServes(t, kernel);
});

// Boot publishes once for every plugin; when that fails they are published one at a time, so the
// plugin that clashes fails alone and what requires it follows, as if each had been loaded in turn.
t.test('a clash at boot leaves off the plugin that clashes and those that require it, and no other', async (t) => {
  const kernel = await bootWith(t, [
    routePlugin('alpha', { operationId: 'getThing' }),
    routePlugin('beta', { operationId: 'getThing' }),
    routePlugin('gamma', { requires: ['beta'] }),
    routePlugin('delta', { requires: ['alpha'] }),
  ]);
  t.same(
    ['alpha', 'beta', 'gamma', 'delta'].map((id) => [id, statusOf(kernel, id)?.state]),
    [
      ['alpha', 'loaded'],
      ['beta', 'failed'],
      ['gamma', 'failed'],
      ['delta', 'loaded'],
    ],
  );
  t.match(statusOf(kernel, 'beta')?.error, /operationId "getThing" is defined by both alpha and beta/);
  t.equal(statusOf(kernel, 'gamma')?.error, 'requires beta, which is not loaded');
  t.same((await call(kernel, 'GET', '/api/v1/alpha')).json, { plugin: 'alpha' });
  t.same((await call(kernel, 'GET', '/api/v1/delta')).json, { plugin: 'delta' });
  t.equal((await call(kernel, 'GET', '/api/v1/gamma')).status, 404);
  await stillServes(t, kernel);
});

t.test('a duplicate route leaves the second plugin off, naming both', async (t) => {
  const kernel = await bootWith(t, [routePlugin('alpha', { path: '/api/v1/same' }), routePlugin('beta', { path: '/api/v1/same' })]);
  t.match(statusOf(kernel, 'beta')?.error, /GET \/api\/v1\/same is defined by both alpha and beta/);
  t.same((await call(kernel, 'GET', '/api/v1/same')).json, { plugin: 'alpha' });
  await stillServes(t, kernel);
});

t.test('operations without handlers and handlers without operations leave their plugin off', async (t) => {
  const kernel = await bootWith(t, [
    routePlugin('lazy', { init: () => {} }),
    routePlugin('eager', {
      init: (ctx) => {
        ctx.handle('eagerGet', () => ({}));
        ctx.handle('notInContract', () => ({}));
      },
    }),
  ]);
  t.match(statusOf(kernel, 'lazy')?.error, /plugin lazy: operation lazyGet has no handler/);
  t.match(statusOf(kernel, 'eager')?.error, /handler notInContract has no operation in its contract/);
  await stillServes(t, kernel);
});

t.test('invalid manifests leave their plugin off with every problem listed', async (t) => {
  const kernel = await bootWith(t, [
    { id: 'x', version: '1.0.0' },
    { ...routePlugin('old'), host: '>=9.0.0' },
  ]);
  t.match(statusOf(kernel, 'x')?.error, /must have required property 'host'/);
  t.match(statusOf(kernel, 'old')?.error, /supports host >=9.0.0/);
  await stillServes(t, kernel);
});

t.test('a missing dependency leaves the plugin off; a cycle has no safe order and fails boot naming the plugins', async (t) => {
  const kernel = await bootWith(t, [routePlugin('portal', { requires: ['ticketing'] })]);
  t.match(statusOf(kernel, 'portal')?.error, /plugin portal requires ticketing, which is not available/);
  await stillServes(t, kernel);

  const database = await cloneTestDatabase();
  t.teardown(() => database.drop());
  const cycle = await Kernel.start({
    env: { ITOPS_PORT: '0', ITOPS_LOG_LEVEL: 'silent', DATABASE_URL: database.url, ITOPS_WORKER_THREADS: '1' },
    plugins: [routePlugin('left', { requires: ['right'] }), routePlugin('right', { requires: ['left'] })],
    firstParty: false,
  }).then(
    async (k) => {
      await k.stop();
      return new Error('boot was expected to fail');
    },
    (error: Error) => error,
  );
  t.match(cycle.message, /cycle: left -> right -> left/);
});

t.test('an operation without a permission or public marker leaves its plugin off', async (t) => {
  const plugin = routePlugin('open');
  const path = (plugin.openapi as any).paths['/api/v1/open'].get;
  delete path['x-public'];
  const kernel = await bootWith(t, [plugin]);
  t.match(statusOf(kernel, 'open')?.error, /GET \/api\/v1\/open declares neither x-permission nor x-public: true/);
  await stillServes(t, kernel);
});

t.test('a failing migration, a throwing init and a hanging init each leave only their plugin off', async (t) => {
  const badMigration = definePlugin({
    ...routePlugin('migrates'),
    migrations: [{ name: '0001-broken', up: 'CREATE TABLE broken (id int REFERENCES no_such_table (id))' }],
  });
  const throws = routePlugin('throws', {
    init: () => {
      throw new Error('config missing');
    },
  });
  const hangs = routePlugin('hangs', { init: () => new Promise(() => {}) });
  const kernel = await bootWith(t, [badMigration, throws, hangs], { pluginInitTimeoutMs: 500 });
  t.match(statusOf(kernel, 'migrates')?.error, /migration migrates\/0001-broken failed/);
  t.match(statusOf(kernel, 'throws')?.error, /config missing/);
  t.match(statusOf(kernel, 'hangs')?.error, /init did not finish within 500 ms/);
  // Nothing of the failed migration stays behind, and it is not recorded as applied.
  const recorded = await kernel.database.query("SELECT 1 FROM itops_migrations WHERE name LIKE 'migrates/%'");
  t.equal(recorded.length, 0);
  await stillServes(t, kernel);
});
