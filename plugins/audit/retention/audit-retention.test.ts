import t from 'tap';
import { startTestServer } from '../../../core/plugin-api/testing.ts';
import { probePlugin } from '../audit-probe.testkit.ts';
import audit from '../plugin.ts';
import { applyRetention } from './audit-retention.ts';
import { sealAll } from '../chain/chain-sealer.ts';

/**
 * Moves the workspace's oldest records `days` back in time and re-hashes the chain, as a database
 * administrator with the owner's rights could: the records are then old enough for retention and
 * the chain is valid again, so what follows tests retention alone.
 */
async function age(platform: { query: (sql: string, params?: unknown[]) => Promise<unknown[]> }, tenantId: string, upToSeq: number, days: number) {
  await platform.query('ALTER TABLE audit_record DISABLE TRIGGER audit_record_append_only');
  await platform.query(`UPDATE audit_record SET occurred_at = occurred_at - make_interval(days => ?) WHERE tenant_id = ? AND seq <= ?`, [
    days,
    tenantId,
    upToSeq,
  ]);
  await platform.query(`
    DO $rehash$
    DECLARE r record; previous text := repeat('0', 64); h text;
    BEGIN
      FOR r IN SELECT * FROM audit_record WHERE tenant_id = '${tenantId}' ORDER BY seq LOOP
        h := audit_record_hash(previous, r.seq, r.occurred_at, r.tenant_id, r.principal_kind, r.principal_id, r.principal_name,
                               r.action, r.target, r.outcome, r.correlation_id, r.source_address, r.diff, r.details);
        UPDATE audit_record SET prev_hash = previous, hash = h WHERE id = r.id;
        previous := h;
      END LOOP;
      UPDATE audit_chain_head SET last_hash = previous WHERE tenant_id = '${tenantId}';
    END
    $rehash$`);
  await platform.query('ALTER TABLE audit_record ENABLE TRIGGER audit_record_append_only');
}

t.test('retention removes the records older than the policy, and the chain still verifies from its new start', async (t) => {
  const server = await startTestServer(t, { plugins: [audit, probePlugin] });
  const [admin, ops, viewer] = [await server.loginAs('msp_admin'), await server.loginAs('ops_engineer'), await server.loginAs('viewer')];
  for (const name of ['one', 'two', 'three', 'four']) await server.call('POST', '/api/v1/audit-probe/things', { headers: ops.headers, body: { name } });

  t.same(
    (await server.call('GET', '/api/v1/audit/retention', { headers: admin.headers })).json,
    { retainDays: null, updatedAt: null },
    'kept forever by default',
  );
  const set = await server.call('PUT', '/api/v1/audit/retention', { headers: admin.headers, body: { retainDays: 30 } });
  t.equal(set.status, 200);
  t.equal(set.json.retainDays, 30);
  t.equal((await server.call('PUT', '/api/v1/audit/retention', { headers: admin.headers, body: { retainDays: 0 } })).status, 400);
  t.equal((await server.call('PUT', '/api/v1/audit/retention', { headers: viewer.headers, body: { retainDays: 5 } })).status, 403);
  t.equal((await server.call('PUT', '/api/v1/audit/retention', { body: { retainDays: 5 } })).status, 401);
  const [changed] = (await server.call('GET', '/api/v1/audit/records?action=setAuditRetention', { headers: admin.headers })).json.data;
  t.same(changed.diff[0].fields.retain_days, { after: 30 }, 'changing the policy is itself audited');

  await sealAll(server.database.platform);
  const all = (await server.call('GET', '/api/v1/audit/records?limit=1000&sortBy=seq&sortOrder=asc', { headers: admin.headers })).json.data as {
    seq: number;
    action: string;
  }[];
  const creates = all.filter((r) => r.action === 'probeCreateThing');
  const cutAt = creates[1].seq;
  await age(server.database.platform, 'acme', cutAt, 45);
  t.equal((await server.call('GET', '/api/v1/audit/verification', { headers: admin.headers })).json.valid, true, 'the re-hashed chain is valid');

  const removed = await applyRetention(server.database.platform);
  t.same(removed, [{ tenantId: 'acme', removed: all.filter((r) => r.seq <= cutAt).length }]);
  const left = (await server.call('GET', '/api/v1/audit/records?limit=1000&sortBy=seq&sortOrder=asc', { headers: admin.headers })).json.data as {
    seq: number;
  }[];
  t.equal(left[0].seq, cutAt + 1, 'the oldest part of the chain is gone, the rest is there');
  const report = (await server.call('GET', '/api/v1/audit/verification', { headers: admin.headers })).json;
  t.match(report, { valid: true, firstBroken: null, checked: left.length }, 'verification starts at the retention anchor');

  // Deleting one more record by hand is still found, right at the new start.
  await server.database.platform.transaction(async (tx) => {
    await tx.query("SELECT set_config('itops.audit_retention', 'on', true)");
    await tx.query('DELETE FROM audit_record WHERE tenant_id = ? AND seq = ?', ['acme', cutAt + 1]);
  });
  t.match((await server.call('GET', '/api/v1/audit/verification', { headers: admin.headers })).json, {
    valid: false,
    firstBroken: { seq: cutAt + 2, reason: 'records_missing' },
  });
  t.same(await applyRetention(server.database.platform), [{ tenantId: 'acme', removed: 0 }], 'nothing else is old enough');
});
