import t from 'tap';
import { auditServer } from '../audit-server.testkit.ts';
import { sealAll } from '../chain/chain-sealer.ts';

type Record_ = { action: string; outcome: string; target: string | null; principal: { kind: string; id: string | null }; details: any; diff: any[] };

for (const capture of ['trigger', 'wal'] as const) {
  t.test(`${capture}: security events: logins, failed logins, API keys, role changes, each in its workspace`, async (t) => {
    const server = await auditServer(t, capture);
    if (!server) return;
    const admin = await server.loginAs('msp_admin');
    const ops = await server.loginAs('ops_engineer');
    const failed = await server.call('POST', '/api/v1/auth/login', { body: { email: ops.email, password: 'wrong password 123' } });
    t.equal(failed.status, 401);
    const key = await server.call('POST', '/api/v1/apikeys', { headers: admin.headers, body: { name: 'ci', scope: 'read' } });
    t.equal(key.status, 201, key.text);
    t.equal((await server.call('DELETE', `/api/v1/apikeys/${key.json.key_id}`, { headers: admin.headers })).status, 204);
    const role = await server.call('PUT', `/api/v1/members/${ops.id}`, { headers: admin.headers, body: { role: 'viewer' } });
    t.equal(role.status, 200, role.text);
    const secret = await server.call('POST', '/api/v1/workspace/secrets/auditprobe.token', {
      headers: { ...admin.headers, 'idempotency-key': 'set-secret-1' },
      body: { value: 'super-secret-value-1' },
    });
    t.equal(secret.status, 201, secret.text);

    await sealAll(server.database.platform);
    const all = (await server.call('GET', '/api/v1/audit/records?limit=1000', { headers: admin.headers })).json.data as Record_[];
    const of = (action: string) => all.filter((r) => r.action === action);
    t.ok(
      of('security.login_succeeded').some((r) => r.principal.id === ops.id),
      'the member’s login',
    );
    const [failure] = of('security.login_failed');
    t.match(failure, { outcome: 'failure', principal: { kind: 'user', id: ops.id }, details: { reason: 'wrong_password' } });
    t.notOk(JSON.stringify(failure).includes('wrong password 123'), 'the password tried is not recorded');
    t.match(of('security.api_key_created')[0], { target: `api_key:${key.json.key_id}`, principal: { id: admin.id } });
    t.equal(of('security.api_key_revoked').length, 1);
    t.match(of('security.role_changed')[0], { target: `user:${ops.id}`, details: { role: 'viewer', previousRole: 'ops_engineer' } });
    t.notOk(JSON.stringify(all).includes(key.json.api_key), 'the API key itself is in no record');
    t.match(of('security.role_changed')[0], { principal: { id: admin.id } });
    t.match(of('secrets.written')[0], { target: 'secret:auditprobe.token', principal: { kind: 'user', id: admin.id }, details: { key: 'auditprobe.token' } });
    const [stored] = of('setWorkspaceSecret');
    t.match(stored.diff[0], { table: 'workspace_secret', fields: { ciphertext: { after: '[redacted]' }, wrapped_key: { after: '[redacted]' } } });
    const exported = await server.call('GET', '/api/v1/audit/export', { headers: admin.headers });
    t.notOk(exported.text.includes('super-secret-value-1'), 'the secret’s value is in no record');
    t.equal((await server.call('GET', '/api/v1/audit/verification', { headers: admin.headers })).json.valid, true);
  });
}
