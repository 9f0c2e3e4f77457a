import t from 'tap';
import { startTestServer } from '../../../core/plugin-api/testing.ts';
import audit from '../plugin.ts';

t.test('GET /api/v1/audit-credentials lists the members and keys that can act on the workspace, and nothing of others', async (t) => {
  const server = await startTestServer(t, { plugins: [audit] });
  const [admin, ops, viewer, stranger] = [
    await server.loginAs('msp_admin'),
    await server.loginAs('ops_engineer'),
    await server.loginAs('viewer'),
    await server.loginAs('msp_admin', 'globex'),
  ];
  const key = await server.call('POST', '/api/v1/apikeys', { headers: admin.headers, body: { name: 'ci-reader', scope: 'read' } });
  const revoked = await server.call('POST', '/api/v1/apikeys', { headers: admin.headers, body: { name: 'old-job', scope: 'read' } });
  await server.call('DELETE', `/api/v1/apikeys/${revoked.json.key_id}`, { headers: admin.headers });
  await server.call('POST', '/api/v1/apikeys', { headers: stranger.headers, body: { name: 'globex-key', scope: 'read' } });

  const listed = await server.call('GET', '/api/v1/audit-credentials?limit=100', { headers: admin.headers });
  t.equal(listed.status, 200);
  const byName = new Map((listed.json.data as { name: string }[]).map((c) => [c.name, c]));
  t.match(byName.get(ops.email), { kind: 'user', id: ops.id, role: 'ops_engineer', active: true });
  t.ok((byName.get(ops.email) as unknown as { lastUsedAt: string | null }).lastUsedAt, 'a member’s last sign-in');
  t.match(byName.get('ci-reader'), { kind: 'api_key', id: key.json.key_id, role: 'read', active: true, expiresAt: null, createdBy: `user:${admin.id}` });
  t.match(byName.get('old-job'), { kind: 'api_key', active: false });
  t.notOk(byName.has('globex-key'), 'another workspace’s key is not listed');
  t.notOk(byName.has(stranger.email), 'nor its members');
  t.notOk(listed.text.includes(key.json.api_key), 'never the key itself');
  t.match(listed.json, { page: { limit: 100, offset: 0 }, sort: { by: 'kind' } });

  const inactiveKeys = await server.call('GET', '/api/v1/audit-credentials?kind=api_key&active=false', { headers: admin.headers });
  t.same(
    inactiveKeys.json.data.map((c: { name: string }) => c.name),
    ['old-job'],
  );
  t.equal((await server.call('GET', '/api/v1/audit-credentials?kind=robot', { headers: admin.headers })).status, 400);
  t.equal((await server.call('GET', '/api/v1/audit-credentials')).status, 401);
  t.equal((await server.call('GET', '/api/v1/audit-credentials', { headers: viewer.headers })).status, 403);
  t.equal((await server.call('GET', '/api/v1/audit-credentials', { headers: { ...stranger.headers, 'x-workspace-id': 'acme' } })).status, 404);
});
