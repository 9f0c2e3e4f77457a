import t from 'tap';
import type { PluginManifest } from '../plugin-api/index.ts';
import { call, startTestKernel } from '../plugin-api/testing.ts';
import { routePlugin } from '../testing/inline-plugins.ts';
import { validateManifest } from './manifest-validation.ts';

/** A plugin with two variables of its own, answering what `ctx.config` holds. */
const configured = (): PluginManifest => ({
  ...routePlugin('notes', { init: (ctx) => ctx.handle('notesGet', () => ctx.config) }),
  config: {
    ITOPS_NOTES_LIMIT: { type: 'integer', minimum: 1, maximum: 100, default: 5, description: 'Notes kept per workspace' },
    ITOPS_NOTES_TITLE: { type: 'string', description: 'Heading of the notes page' },
  },
});

t.test('a plugin reads its variables through ctx.config, coerced and with defaults', async (t) => {
  const defaults = await startTestKernel(t, { plugins: [configured()] });
  t.same((await call(defaults, 'GET', '/api/v1/notes')).json, { ITOPS_NOTES_LIMIT: 5 });
  const set = await startTestKernel(t, { plugins: [configured()], env: { ITOPS_NOTES_LIMIT: '7', ITOPS_NOTES_TITLE: 'Maintenance' } });
  t.same((await call(set, 'GET', '/api/v1/notes')).json, { ITOPS_NOTES_LIMIT: 7, ITOPS_NOTES_TITLE: 'Maintenance' });
});

t.test('a bad value leaves only that plugin off, naming the variable', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [configured(), routePlugin('healthy')], env: { ITOPS_NOTES_LIMIT: 'many' } });
  const status = kernel.plugins.statuses().find((p) => p.id === 'notes');
  t.equal(status?.state, 'failed');
  t.match(status?.error, /ITOPS_NOTES_LIMIT must be integer \(got "many"\)/);
  t.equal((await call(kernel, 'GET', '/api/v1/healthy')).status, 200);
});

t.test('variables are named for their plugin', async (t) => {
  const manifest = { ...configured(), config: { ITOPS_LIMIT: { type: 'integer', description: 'x' } } };
  t.match(validateManifest(manifest, '0.1.0', 'test').join('\n'), /configuration variable ITOPS_LIMIT must be named ITOPS_NOTES_<NAME>/);
});
