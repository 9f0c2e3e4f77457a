import t from 'tap';
import { startTestServer } from '../../../core/plugin-api/testing.ts';
import { probePlugin } from '../audit-probe.testkit.ts';
import audit from '../plugin.ts';
import { verifyAllChains } from './chain-report.ts';
import { sealAll } from './chain-sealer.ts';

t.test('concurrent writers of one workspace append one after the other: the chain has no fork and no gap', async (t) => {
  const server = await startTestServer(t, { plugins: [audit, probePlugin] });
  const [admin, ops, other] = [await server.loginAs('msp_admin'), await server.loginAs('ops_engineer'), await server.loginAs('ops_engineer', 'globex')];
  const writes = Array.from({ length: 40 }, (_, i) =>
    server.call('POST', '/api/v1/audit-probe/things', { headers: (i % 4 === 3 ? other : ops).headers, body: { name: `thing ${i}` } }),
  );
  const statuses = (await Promise.all(writes)).map((r) => r.status);
  t.same(new Set(statuses), new Set([201]));
  await sealAll(server.database.platform);
  const report = (await server.call('GET', '/api/v1/audit/verification', { headers: admin.headers })).json;
  t.match(report, { valid: true, pending: 0, firstBroken: null });
  const records = (await server.call('GET', '/api/v1/audit/records?limit=1000&action=probeCreateThing', { headers: admin.headers })).json;
  t.equal(records.page.total, 30, 'every change of acme has its record');
  const seqs = (await server.call('GET', '/api/v1/audit/records?limit=1000&sortBy=seq&sortOrder=asc', { headers: admin.headers })).json.data.map(
    (r: { seq: number }) => r.seq,
  );
  t.same(
    seqs,
    seqs.map((_: number, i: number) => i + 1),
    'sequence numbers 1..n without a gap',
  );
});

t.test('the verification CLI reports every chain and the first broken link, with its exit code', async (t) => {
  const server = await startTestServer(t, { plugins: [audit, probePlugin] });
  const [acme, globex] = [await server.loginAs('ops_engineer'), await server.loginAs('ops_engineer', 'globex')];
  for (const actor of [acme, acme, acme, globex]) await server.call('POST', '/api/v1/audit-probe/things', { headers: actor.headers, body: { name: 'x' } });
  const platform = server.database.platform;
  await sealAll(platform);
  const clean = await verifyAllChains(platform);
  t.equal(clean.exitCode, 0);
  t.match(clean.text, /^ok {6}acme: \d+ records/m);
  t.match(clean.text, /^ok {6}globex: /m);

  await platform.query('ALTER TABLE audit_record DISABLE TRIGGER audit_record_append_only');
  const [{ seq }] = await platform.query<{ seq: string }>(
    "SELECT min(seq) + 1 AS seq FROM audit_record WHERE tenant_id = 'acme' AND action = 'probeCreateThing'",
  );
  await platform.query("UPDATE audit_record SET principal_id = 'someone-else' WHERE tenant_id = 'acme' AND seq = ?", [seq]);
  const broken = await verifyAllChains(platform);
  t.equal(broken.exitCode, 1);
  t.match(broken.text, new RegExp(`^BROKEN  acme: first broken link at #${seq} \\(record_altered`, 'm'));
  t.match(broken.text, /^ok {6}globex: /m, 'the other chains still hold');
  t.equal((await verifyAllChains(platform, 'globex')).exitCode, 0, 'one workspace only');
});
