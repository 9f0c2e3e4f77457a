import t from 'tap';
import { startTestServer } from '../../../core/plugin-api/testing.ts';
import { probePlugin } from '../audit-probe.testkit.ts';
import audit from '../plugin.ts';

t.test('concurrent writers of one workspace append one after the other: the chain has no fork and no gap', async (t) => {
  const server = await startTestServer(t, { plugins: [audit, probePlugin] });
  const [admin, ops, other] = [await server.loginAs('msp_admin'), await server.loginAs('ops_engineer'), await server.loginAs('ops_engineer', 'globex')];
  const writes = Array.from({ length: 40 }, (_, i) =>
    server.call('POST', '/api/v1/audit-probe/things', { headers: (i % 4 === 3 ? other : ops).headers, body: { name: `thing ${i}` } }),
  );
  const statuses = (await Promise.all(writes)).map((r) => r.status);
  t.same(new Set(statuses), new Set([201]));
  const report = (await server.call('GET', '/api/v1/audit/verification', { headers: admin.headers })).json;
  t.match(report, { valid: true, firstBroken: null });
  const records = (await server.call('GET', '/api/v1/audit/records?limit=1000&action=probeCreateThing', { headers: admin.headers })).json;
  t.equal(records.page.total, 30, 'every change of acme has its record');
  const seqs = (await server.call('GET', '/api/v1/audit/records?limit=1000&sortOrder=asc', { headers: admin.headers })).json.data.map(
    (r: { seq: number }) => r.seq,
  );
  t.same(
    seqs,
    seqs.map((_: number, i: number) => i + 1),
    'sequence numbers 1..n without a gap',
  );
});
