import t from 'tap';
import { tokens } from '../plugin-api/index.ts';
import { call, startTestKernel } from '../plugin-api/testing.ts';
import { routePlugin } from '../testing/inline-plugins.ts';

/** Registers `<id>.restart` (or `name`) in init and answers its own route. */
const maker = (id: string, name = `${id}.restart`) =>
  routePlugin(id, {
    init: (ctx) => {
      ctx.get(tokens.capabilities).register({
        name,
        description: 'Restart something',
        inputSchema: { type: 'object' },
        handler: async () => ({ restarted: true }),
      });
      ctx.handle(`${id}Get`, () => ({ plugin: id }));
    },
  });

/** Lists the capabilities every plugin sees. */
const reader = routePlugin('reader', {
  init: (ctx) => {
    const capabilities = ctx.get(tokens.capabilities);
    ctx.handle('readerGet', () => ({ capabilities: capabilities.list().map((c) => `${c.name} by ${c.owner}`) }));
  },
});

t.test('capabilities are registered per plugin and undone when it unloads', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [maker('alpha'), reader] });
  const names = async () => (await call(kernel, 'GET', '/api/v1/reader')).json.capabilities;
  t.same(await names(), ['alpha.restart by alpha']);

  await kernel.plugins.unload('alpha');
  t.same(await names(), [], 'unloading the plugin removes its capability');
  await kernel.plugins.load('alpha');
  t.same(await names(), ['alpha.restart by alpha'], 'loading it again registers it again');
});

t.test('a capability name taken by another plugin, or not {agent}.{reasoner}, leaves the plugin off', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [maker('alpha'), maker('copycat', 'alpha.restart'), maker('sloppy', 'Restart'), reader] });
  const states = Object.fromEntries(kernel.plugins.statuses().map((status) => [status.id, status]));
  t.equal(states.alpha.state, 'loaded');
  t.equal(states.copycat.state, 'failed');
  t.match(states.copycat.error, /capability "alpha.restart" is registered by both alpha and copycat/);
  t.equal(states.sloppy.state, 'failed');
  t.match(states.sloppy.error, /capability name "Restart" must be \{agent\}\.\{reasoner\}/);
  t.same((await call(kernel, 'GET', '/api/v1/reader')).json.capabilities, ['alpha.restart by alpha'], 'the first registration stands');
});
