import t from 'tap';
import { startWorld } from '../testing/identity-fixtures.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';

const gql = (url: string, query: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) }).then(
    (r) => r.json() as Promise<any>,
  );

t.test('GraphQL resolvers apply the same permission check as REST', async (t) => {
  const { kernel, acmeViewer, acmeAdmin, admin } = await startWorld(t, { plugins: [examplePlugin] });
  const anonymous = await gql(kernel.url, '{ exampleScores { id } }');
  t.equal(anonymous.errors[0].extensions.code, 'unauthorized');
  const viewer = await gql(kernel.url, '{ exampleScores { id label } }', acmeViewer.headers);
  t.same(viewer, { data: { exampleScores: [] } }, 'viewers hold example:read by the plugin default policy');
  const platformOnly = await gql(kernel.url, '{ exampleScores { id } }', admin.headers);
  t.equal(platformOnly.errors[0].extensions.code, 'forbidden', 'a platform admin without a workspace has none to read');
  const otherWorkspace = await gql(kernel.url, '{ exampleScores { id } }', { ...acmeAdmin.headers, 'x-workspace-id': 'globex' });
  t.equal(otherWorkspace.errors[0].extensions.code, 'not_found');
  t.equal(otherWorkspace.errors[0].message, 'Workspace globex was not found');
});
