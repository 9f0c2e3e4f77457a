import t from 'tap';
import { cloneTestDatabase } from '../testing/test-database.ts';
import { routePlugin } from '../testing/inline-plugins.ts';
import { Kernel } from './kernel.ts';

/** Boots against a fresh database and expects the boot to fail. */
async function bootFails(t: { teardown(fn: () => unknown): void }, plugins: unknown[]): Promise<Error> {
  const database = await cloneTestDatabase();
  t.teardown(() => database.drop());
  try {
    const kernel = await Kernel.start({
      env: { ITOPS_PORT: '0', ITOPS_LOG_LEVEL: 'silent', DATABASE_URL: database.url, ITOPS_WORKER_THREADS: '1' },
      plugins,
      firstParty: false,
    });
    await kernel.stop();
  } catch (error) {
    return error as Error;
  }
  throw new Error('boot was expected to fail');
}

t.test('a duplicate operationId fails boot naming both plugins', async (t) => {
  const error = await bootFails(t, [routePlugin('alpha', { operationId: 'getThing' }), routePlugin('beta', { operationId: 'getThing' })]);
  t.match(error.message, /operationId "getThing" is defined by both alpha and beta/);
});

t.test('a duplicate route fails boot naming both plugins', async (t) => {
  const error = await bootFails(t, [routePlugin('alpha', { path: '/api/v1/same' }), routePlugin('beta', { path: '/api/v1/same' })]);
  t.match(error.message, /GET \/api\/v1\/same is defined by both alpha and beta/);
});

t.test('an operation without a handler fails boot', async (t) => {
  const error = await bootFails(t, [routePlugin('lazy', { init: () => {} })]);
  t.match(error.message, /plugin lazy: operation lazyGet has no handler/);
});

t.test('a handler without an operation fails boot', async (t) => {
  const error = await bootFails(t, [
    routePlugin('eager', {
      init: (ctx) => {
        ctx.handle('eagerGet', () => ({}));
        ctx.handle('notInContract', () => ({}));
      },
    }),
  ]);
  t.match(error.message, /handler notInContract has no operation in its contract/);
});

t.test('invalid manifests fail boot with every problem listed', async (t) => {
  const error = await bootFails(t, [
    { id: 'x', version: '1.0.0' },
    { ...routePlugin('old'), host: '>=9.0.0' },
  ]);
  t.match(error.message, /Invalid plugin manifests/);
  t.match(error.message, /must have required property 'host'/);
  t.match(error.message, /supports host >=9.0.0/);
});

t.test('a missing dependency or a cycle fails boot naming the plugins', async (t) => {
  const missing = await bootFails(t, [routePlugin('portal', { requires: ['ticketing'] })]);
  t.match(missing.message, /plugin portal requires ticketing, which is not available/);
  const cycle = await bootFails(t, [routePlugin('left', { requires: ['right'] }), routePlugin('right', { requires: ['left'] })]);
  t.match(cycle.message, /cycle: left -> right -> left/);
});

t.test('an operation without a permission or public marker fails boot', async (t) => {
  const plugin = routePlugin('open');
  const path = (plugin.openapi as any).paths['/api/v1/open'].get;
  delete path['x-public'];
  const error = await bootFails(t, [plugin]);
  t.match(error.message, /GET \/api\/v1\/open declares neither x-permission nor x-public: true/);
});
