import t from 'tap';
import { definePlugin } from '../plugin-api/index.ts';
import { call, startTestKernel, testAccess } from '../plugin-api/testing.ts';

// A field that declares its permission, and one that reports the context's tenant unguarded.
const notes = definePlugin({
  id: 'notes',
  version: '1.0.0',
  host: '*',
  graphql: 'extend type Query { noteWorkspace: String  rawWorkspace: String }',
  permissions: [{ name: 'notes:read', description: 'Read notes' }],
  policies: [{ role: 'viewer', permission: 'notes:read' }],
  init(ctx) {
    ctx.resolve('Query', 'noteWorkspace', (_p, _a, context) => context.tenantId ?? null, { permission: 'notes:read' });
    ctx.resolve('Query', 'rawWorkspace', (_p, _a, context) => context.tenantId ?? null);
  },
});

const graphql = (kernel: { url: string }, query: string, headers: Record<string, string> = {}) =>
  call(kernel as never, 'POST', '/graphql', { body: { query }, headers });

t.test('a GraphQL field with a declared permission is checked like REST, and sees only the checked workspace', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [notes], access: testAccess({ viewer: ['notes:read'], billing: [] }) });

  const ok = await graphql(kernel, '{ noteWorkspace }', { authorization: 'Test viewer acme' });
  t.same(ok.json.data, { noteWorkspace: 'acme' });

  const anonymous = await graphql(kernel, '{ noteWorkspace }');
  t.equal(anonymous.json.errors[0].extensions.code, 'unauthorized');
  t.same(anonymous.json.data, { noteWorkspace: null });

  const wrongRole = await graphql(kernel, '{ noteWorkspace }', { authorization: 'Test billing acme' });
  t.equal(wrongRole.json.errors[0].extensions.code, 'forbidden');

  // The header alone never becomes the context's tenant: an anonymous call used to see "anon:acme".
  const header = await graphql(kernel, '{ rawWorkspace }', { 'x-workspace-id': 'anon:acme' });
  t.same(header.json.data, { rawWorkspace: null });
});
