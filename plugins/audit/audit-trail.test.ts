import t from 'tap';
import { startTestServer } from '../../core/plugin-api/testing.ts';
import { probePlugin } from './audit-probe.testkit.ts';
import { auditServer } from './audit-server.testkit.ts';
import { csvCell } from './records/record-export.ts';
import { sealAll } from './chain/chain-sealer.ts';
import audit from './plugin.ts';

type Record_ = {
  action: string;
  outcome: string;
  target: string | null;
  principal: { kind: string; id: string | null };
  diff: any[];
  details: any;
  correlationId: string | null;
  sourceAddress: string | null;
  seq: number;
};

async function records(server: Awaited<ReturnType<typeof startTestServer>>, headers: Record<string, string>, query = ''): Promise<Record_[]> {
  // In WAL mode the records of what committed are written by the next round: this is it.
  await sealAll(server.database.platform);
  const listed = await server.call('GET', `/api/v1/audit/records?limit=1000${query}`, { headers });
  if (listed.status !== 200) throw new Error(`list: ${listed.status} ${listed.text}`);
  return listed.json.data;
}

/**
 * Both ways of recording (ITOPS_AUDIT_CAPTURE): `trigger` writes records in the changing transaction,
 * `wal` after commit from the WAL, where the transaction carried its context (the embedded test
 * cluster runs with wal_level = logical; elsewhere WAL mode cannot start, and its tests say so).
 */
for (const capture of ['trigger', 'wal'] as const) {
  t.test(`${capture}: a change and its record commit together, with a field-level diff and secrets redacted`, async (t) => {
    const server = await auditServer(t, capture);
    if (!server) return;
    const [admin, ops] = [await server.loginAs('msp_admin'), await server.loginAs('ops_engineer')];

    const created = await server.call('POST', '/api/v1/audit-probe/things', {
      headers: { ...ops.headers, 'x-correlation-id': 'corr-create-1' },
      body: { name: 'router', smtpLogin: 'hunter2-smtp', webhookSecret: 'whsec_hunter2', settings: { apiToken: 'tok-hunter2', colour: 'blue' } },
    });
    t.equal(created.status, 201);
    const renamed = await server.call('PATCH', `/api/v1/audit-probe/things/${created.json.id}`, { headers: ops.headers, body: { name: 'core router' } });
    t.equal(renamed.status, 200);

    const [insert] = await records(server, admin.headers, '&action=probeCreateThing');
    t.ok(insert, 'the create has its record');
    t.equal(insert.outcome, 'success');
    t.match(insert.principal, { kind: 'user', id: ops.id, name: ops.email });
    t.equal(insert.correlationId, 'corr-create-1');
    t.equal(insert.target, '/api/v1/audit-probe/things');
    t.ok(insert.sourceAddress, 'the source address is recorded');
    t.equal(insert.diff.length, 1);
    t.match(insert.diff[0], { table: 'auditprobe_thing', op: 'insert', key: { id: created.json.id } });
    t.same(insert.diff[0].fields.name, { after: 'router' });
    t.same(insert.diff[0].fields.smtp_login, { after: '[redacted]' }, 'secret by the contract (format: password)');
    t.same(insert.diff[0].fields.webhook_secret, { after: '[redacted]' }, 'secret by its name');
    t.same(insert.diff[0].fields.settings, { after: { apiToken: '[redacted]', colour: 'blue' } }, 'secrets inside JSON columns too');

    const [update] = await records(server, admin.headers, '&action=probeRenameThing');
    t.same(update.diff[0].fields, { name: { before: 'router', after: 'core router' } }, 'a lone statement is observed too; only changed fields');
    const viaGraphql = await server.call('POST', '/graphql', {
      headers: ops.headers,
      body: { query: 'mutation($id: ID!) { probeRenameThing(id: $id, name: "edge router") }', variables: { id: created.json.id } },
    });
    t.same(viaGraphql.json.data, { probeRenameThing: true });
    const [graphqlUpdate] = await records(server, admin.headers, '&action=Mutation.probeRenameThing');
    t.match(graphqlUpdate, { principal: { id: ops.id }, target: '/graphql' }, 'a GraphQL mutation is recorded like a REST one');
    t.same(graphqlUpdate.diff[0].fields, { name: { before: 'core router', after: 'edge router' } });

    const exported = await server.call('GET', '/api/v1/audit/export', { headers: admin.headers });
    for (const secret of ['hunter2-smtp', 'whsec_hunter2', 'tok-hunter2']) t.notOk(exported.text.includes(secret), `${secret} appears in no record`);
    const [{ read }] = await server.database.platform.query<{ read: number }>('SELECT count(*)::int AS read FROM audit_wal_position');
    t.equal(read, capture === 'wal' ? 1 : 0, capture === 'wal' ? 'the records were read from the WAL' : 'nothing was read from the WAL');
    // WAL mode chains its records as it writes them, trigger mode seals them after: either way the chain holds.
    const verified = (await server.call('GET', '/api/v1/audit/verification', { headers: admin.headers })).json;
    t.match(verified, { valid: true, pending: 0, firstBroken: null }, 'the chain verifies');
    t.ok(verified.checked >= 4, `every record is in it (${verified.checked})`);
  });

  t.test(`${capture}: a change that rolls back leaves no record`, async (t) => {
    const server = await auditServer(t, capture);
    if (!server) return;
    const [admin, ops] = [await server.loginAs('msp_admin'), await server.loginAs('ops_engineer')];
    const failed = await server.call('POST', '/api/v1/audit-probe/things', { headers: ops.headers, body: { name: 'never', failAfterInsert: true } });
    t.equal(failed.status, 422);
    t.equal((await server.call('POST', '/api/v1/audit-probe/things', { headers: ops.headers, body: { name: 'kept' } })).status, 201);
    const listed = await records(server, admin.headers, '&action=probeCreateThing');
    t.same(
      listed.map((r) => r.diff[0].fields.name.after),
      ['kept'],
      'no record of the rolled-back change, one of the committed one',
    );
  });
}

t.test('trigger: a record that cannot be written rolls the change back', async (t) => {
  const server = await startTestServer(t, { plugins: [audit, probePlugin] });
  const [admin, ops] = [await server.loginAs('msp_admin'), await server.loginAs('ops_engineer')];

  // The audit table refuses this one record (as a full disk or a broken constraint would).
  await server.database.platform.query(`ALTER TABLE audit_record ADD CONSTRAINT refuse_probe CHECK (diff::text NOT LIKE '%refuse-me%') NOT VALID`);
  const refused = await server.call('POST', '/api/v1/audit-probe/things', { headers: ops.headers, body: { name: 'refuse-me' } });
  t.equal(refused.status, 500);
  const [{ count }] = await server.database.platform.query<{ count: string }>("SELECT count(*) AS count FROM auditprobe_thing WHERE name = 'refuse-me'");
  t.equal(Number(count), 0, 'the change rolled back with its record');
  t.equal((await server.call('GET', '/api/v1/audit/verification', { headers: admin.headers })).json.valid, true);
});

t.test('verification finds the first broken link: a record edited, a record deleted, the newest removed', async (t) => {
  const server = await startTestServer(t, { plugins: [audit, probePlugin] });
  const [admin, ops] = [await server.loginAs('msp_admin'), await server.loginAs('ops_engineer')];
  for (const name of ['a', 'b', 'c', 'd', 'e']) {
    t.equal((await server.call('POST', '/api/v1/audit-probe/things', { headers: ops.headers, body: { name } })).status, 201);
  }
  const verify = async () => (await server.call('GET', '/api/v1/audit/verification', { headers: admin.headers })).json;
  await sealAll(server.database.platform);
  const clean = await verify();
  t.match(clean, { valid: true, pending: 0, firstBroken: null });
  const seqs = (await records(server, admin.headers, '&action=probeCreateThing&sortBy=seq&sortOrder=asc')).map((r) => r.seq);

  // The application role can neither edit nor delete records, not even with the retention flag.
  const app = server.database.forTenant('acme');
  await t.rejects(app.query("UPDATE audit_record SET outcome = 'failure'"), /append-only/);
  await t.rejects(app.query('DELETE FROM audit_record'), /append-only/);
  await t.rejects(
    app.transaction(async (tx) => {
      await tx.query("SELECT set_config('itops.audit_retention', 'on', true)");
      await tx.query('DELETE FROM audit_record');
    }),
    /append-only/,
  );

  // The owner (a DBA) can switch the trigger off: verification still sees what was done.
  const platform = server.database.platform;
  await platform.query('ALTER TABLE audit_record DISABLE TRIGGER audit_record_append_only');
  await platform.query(`UPDATE audit_record SET diff = '[]' WHERE tenant_id = 'acme' AND seq = ?`, [seqs[1]]);
  t.match(await verify(), { valid: false, firstBroken: { seq: seqs[1], reason: 'record_altered' } });
  await platform.query(`DELETE FROM audit_record WHERE tenant_id = 'acme' AND seq = ?`, [seqs[1]]);
  t.match(await verify(), { valid: false, firstBroken: { seq: seqs[2], reason: 'records_missing' } }, 'a deleted record breaks the next link');

  const other = await startTestServer(t, { plugins: [audit, probePlugin] });
  const [otherAdmin, otherOps] = [await other.loginAs('msp_admin'), await other.loginAs('ops_engineer')];
  await other.call('POST', '/api/v1/audit-probe/things', { headers: otherOps.headers, body: { name: 'x' } });
  await sealAll(other.database.platform);
  await other.database.platform.query('ALTER TABLE audit_record DISABLE TRIGGER audit_record_append_only');
  await other.database.platform.query(
    `DELETE FROM audit_record WHERE tenant_id = 'acme' AND seq = (SELECT max(seq) FROM audit_record WHERE tenant_id = 'acme')`,
  );
  const tail = (await other.call('GET', '/api/v1/audit/verification', { headers: otherAdmin.headers })).json;
  t.match(tail, { valid: false, firstBroken: { reason: 'tail_missing' } }, 'removing the newest record is seen against the chain head');
});

t.test('other workspaces see none of the records; the endpoints refuse strangers', async (t) => {
  const server = await startTestServer(t, { plugins: [audit, probePlugin] });
  const [admin, ops, viewer, stranger] = [
    await server.loginAs('msp_admin'),
    await server.loginAs('ops_engineer'),
    await server.loginAs('viewer'),
    await server.loginAs('msp_admin', 'globex'),
  ];
  await server.call('POST', '/api/v1/audit-probe/things', { headers: ops.headers, body: { name: 'acme thing' } });
  t.ok((await records(server, admin.headers, '&action=probeCreateThing')).length === 1);
  const theirs = await records(server, stranger.headers);
  t.notOk(
    theirs.some((r) => r.action === 'probeCreateThing'),
    'globex sees no record of acme',
  );
  t.equal(
    (await server.call('GET', '/api/v1/audit/records', { headers: { ...stranger.headers, 'x-workspace-id': 'acme' } })).status,
    404,
    'another workspace answers 404',
  );
  t.equal((await server.call('GET', '/api/v1/audit/records')).status, 401);
  t.equal((await server.call('GET', '/api/v1/audit/records', { headers: viewer.headers })).status, 403);
  t.equal((await server.call('GET', '/api/v1/audit/records?limit=0', { headers: admin.headers })).status, 400);
  t.equal((await server.call('GET', '/api/v1/audit/records?outcome=maybe', { headers: admin.headers })).status, 400);
  t.equal((await server.call('GET', '/api/v1/audit/export', { headers: viewer.headers })).status, 403);
  t.equal((await server.call('GET', '/api/v1/audit/verification')).status, 401);
  const gql = await server.call('POST', '/graphql', {
    headers: stranger.headers,
    body: { query: '{ auditRecords(action: "probeCreateThing") { total records { action } } auditVerification { valid } }' },
  });
  t.same(gql.json.data, { auditRecords: { total: 0, records: [] }, auditVerification: { valid: true } });
  const mine = await server.call('POST', '/graphql', {
    headers: admin.headers,
    body: { query: '{ auditRecords(action: "probeCreateThing") { total records { action principalKind diff } } }' },
  });
  t.equal(mine.json.data.auditRecords.total, 1);
  t.equal(mine.json.data.auditRecords.records[0].principalKind, 'user');
});

t.test('filters: time range, principal, action, target, outcome; export as NDJSON and CSV', async (t) => {
  const server = await startTestServer(t, { plugins: [audit, probePlugin] });
  const [admin, ops] = [await server.loginAs('msp_admin'), await server.loginAs('ops_engineer')];
  const before = new Date(Date.now() - 1000).toISOString();
  const created = await server.call('POST', '/api/v1/audit-probe/things', { headers: ops.headers, body: { name: '=cmd|calc' } });
  await server.call('PATCH', `/api/v1/audit-probe/things/${created.json.id}`, { headers: ops.headers, body: { name: 'renamed' } });
  const byPrincipal = await records(server, admin.headers, `&principalId=${ops.id}`);
  t.same(byPrincipal.map((r) => r.action).sort(), ['probeCreateThing', 'probeRenameThing', 'security.login_succeeded']);
  t.equal((await records(server, admin.headers, `&target=${encodeURIComponent(`/api/v1/audit-probe/things/${created.json.id}`)}`)).length, 1);
  t.equal((await records(server, admin.headers, `&from=${encodeURIComponent(before)}&action=probeRenameThing`)).length, 1);
  t.equal((await records(server, admin.headers, `&to=${encodeURIComponent(before)}&action=probeRenameThing`)).length, 0);
  t.equal((await records(server, admin.headers, '&outcome=failure&action=probeRenameThing')).length, 0);
  const listed = await server.call('GET', '/api/v1/audit/records?limit=1&principalKind=user', { headers: admin.headers });
  t.match(listed.json, { page: { limit: 1, offset: 0, returned: 1 }, sort: { by: 'occurredAt', order: 'desc' }, filters: { principalKind: 'user' } });

  const probe = `principalId=${ops.id}&target=${encodeURIComponent('/api/v1/audit-probe/')}`;
  const ndjson = await server.call('GET', `/api/v1/audit/export?${probe}`, { headers: admin.headers });
  t.equal(ndjson.status, 200);
  t.match(ndjson.headers.get('content-type'), /application\/x-ndjson/);
  const lines = ndjson.text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  t.same(
    lines.map((r) => r.action),
    ['probeCreateThing', 'probeRenameThing'],
    'oldest first',
  );
  const csv = await server.call('GET', `/api/v1/audit/export?format=csv&${probe}`, { headers: admin.headers });
  t.match(csv.headers.get('content-type'), /text\/csv/);
  const rows = csv.text.trim().split('\r\n');
  t.equal(rows.length, 3, 'a header and two records');
  t.match(rows[0], /^id,seq,occurredAt,tenantId,principalKind/);
  t.equal(csvCell('=cmd|calc'), "'=cmd|calc", 'a formula-looking cell is quoted for spreadsheets');
});
