import t from 'tap';
import { eventually } from '../../../core/plugin-api/testing.ts';
import audit from '../../audit/plugin.ts';
import { startPortal } from '../portal.testkit.ts';

const lines = [
  { description: 'Firewall appliance', quantity: 2, unitMinor: 129_999, taxRateBp: 2000 },
  { description: 'Installation (hours)', quantity: 3, unitMinor: 9_550, taxRateBp: 2000 },
];

t.test('quotes resource: exact totals, versions, decided quotes frozen; roles and workspaces', async (t) => {
  const w = await startPortal(t);
  const created = await w.write('POST', '/api/v1/quotes', w.acmeBilling, { clientId: w.initech.id, title: 'Network refresh', currency: 'EUR', lines });
  t.equal(created.status, 201, created.text);
  // 259998 + 28650 = 288648 net; tax 51999.6 → 52000 and 5730 → 57730; total 346378
  t.match(created.json, {
    clientId: w.initech.id,
    status: 'draft',
    currency: 'EUR',
    subtotalMinor: 288_648,
    taxMinor: 57_730,
    totalMinor: 346_378,
    lines: [
      { netMinor: 259_998, taxMinor: 52_000 },
      { netMinor: 28_650, taxMinor: 5_730 },
    ],
    version: 1,
  });
  t.match(created.json.number, /^Q-[0-9A-F]{8}$/);
  const id = created.json.id;
  t.equal((await w.read(`/api/v1/quotes?clientId=${w.initech.id}&sortBy=totalMinor`, w.acmeBilling)).json.page.total, 1);
  t.equal((await w.read(`/api/v1/quotes/${id}`, w.acmeBilling)).json.totalMinor, 346_378);

  const patched = await w.write('PATCH', `/api/v1/quotes/${id}`, w.acmeBilling, { lines: [lines[1]], status: 'sent', version: 1 });
  t.equal(patched.status, 200, patched.text);
  t.match(patched.json, { status: 'sent', subtotalMinor: 28_650, taxMinor: 5_730, totalMinor: 34_380, version: 2 });
  t.equal((await w.write('PATCH', `/api/v1/quotes/${id}`, w.acmeBilling, { title: 'x', version: 1 })).status, 409, 'stale version');
  const replaced = await w.write('PUT', `/api/v1/quotes/${id}`, w.acmeBilling, {
    title: 'Network refresh v2',
    currency: 'JPY',
    lines: [{ description: 'Cable', quantity: 1, unitMinor: 1500 }],
    status: 'sent',
    version: 2,
  });
  t.match(replaced.json, { currency: 'JPY', totalMinor: 1500, taxMinor: 0, version: 3 });

  t.equal((await w.write('POST', '/api/v1/quotes', w.acmeBilling, { clientId: w.initech.id, title: 'x', currency: 'XYZ', lines })).status, 400, 'not ISO 4217');
  t.equal(
    (
      await w.write('POST', '/api/v1/quotes', w.acmeBilling, {
        clientId: w.initech.id,
        title: 'x',
        currency: 'EUR',
        lines: [{ description: 'x', quantity: 1, unitMinor: 1.5 }],
      })
    ).status,
    400,
    'minor units are integers',
  );
  t.equal(
    (
      await w.write('POST', '/api/v1/quotes', w.acmeBilling, {
        clientId: w.initech.id,
        title: 'x',
        currency: 'EUR',
        lines: [{ description: 'x', quantity: 1, unitMinor: 10 ** 12 }],
      })
    ).status,
    400,
    'bounded',
  );
  t.equal((await w.write('POST', '/api/v1/quotes', w.acmeBilling, { clientId: w.initech.id, title: 'x', currency: 'eur', lines })).status, 400);
  t.equal((await w.write('POST', '/api/v1/quotes', { headers: {} }, { clientId: w.initech.id, title: 'x', currency: 'EUR', lines })).status, 401);
  t.equal((await w.write('POST', '/api/v1/quotes', w.acmeViewer, { clientId: w.initech.id, title: 'x', currency: 'EUR', lines })).status, 403);
  t.equal(
    (await w.write('POST', '/api/v1/quotes', w.globexAdmin, { clientId: w.initech.id, title: 'x', currency: 'EUR', lines })).status,
    404,
    "another workspace's client",
  );
  t.equal((await w.read(`/api/v1/quotes/${id}`, w.globexAdmin)).status, 404);
  t.equal((await w.read(`/api/v1/quotes/${id}`, w.initech)).status, 403, 'portal sessions use the portal routes');

  t.equal((await w.write('POST', `/api/v1/portal/quotes/${id}/decision`, w.initech, { decision: 'accept' })).status, 200);
  const frozen = await w.write('PATCH', `/api/v1/quotes/${id}`, w.acmeBilling, { title: 'Changed after acceptance', version: 4 });
  t.equal(frozen.status, 409, 'a decided quote no longer changes');
  t.equal((await w.write('DELETE', `/api/v1/quotes/${id}`, w.globexAdmin)).status, 404);
  t.equal((await w.write('DELETE', `/api/v1/quotes/${id}`, w.acmeBilling)).status, 204);
});

t.test('portal quotes: sent ones only, decided once (409 after), declining needs a reason, audited; other clients 404', async (t) => {
  const w = await startPortal(t, { plugins: [audit] });
  const make = async (clientId: string, status: string) =>
    (await w.write('POST', '/api/v1/quotes', w.acmeBilling, { clientId, title: `Quote ${status}`, currency: 'USD', lines, status })).json;
  const sent = await make(w.initech.id, 'sent');
  const draft = await make(w.initech.id, 'draft');
  const theirs = await make(w.umbrella.id, 'sent');

  const list = await w.read('/api/v1/portal/quotes', w.initech);
  t.equal(list.status, 200, list.text);
  t.same(
    list.json.data.map((q: { id: string }) => q.id),
    [sent.id],
    'no drafts, no other client',
  );
  t.equal((await w.write('POST', `/api/v1/portal/quotes/${draft.id}/decision`, w.initech, { decision: 'accept' })).status, 404, 'a draft is not there yet');
  const other = await w.write('POST', `/api/v1/portal/quotes/${theirs.id}/decision`, w.initech, { decision: 'accept' });
  t.equal(other.status, 404, "client A's session against client B's quote");
  t.match(other.json, { error: { code: 'not_found' } });

  t.equal((await w.write('POST', `/api/v1/portal/quotes/${sent.id}/decision`, w.initech, { decision: 'decline' })).status, 400, 'declining needs a reason');
  t.equal((await w.write('POST', `/api/v1/portal/quotes/${sent.id}/decision`, w.initech, { decision: 'maybe' })).status, 400);
  t.equal((await w.write('POST', `/api/v1/portal/quotes/${sent.id}/decision`, { headers: {} }, { decision: 'accept' })).status, 401);
  t.equal(
    (await w.write('POST', `/api/v1/portal/quotes/${sent.id}/decision`, w.acmeBilling, { decision: 'accept' })).status,
    403,
    'staff do not decide for the client',
  );

  const declined = await w.write('POST', `/api/v1/portal/quotes/${sent.id}/decision`, w.initech, { decision: 'decline', reason: 'Too expensive' });
  t.equal(declined.status, 200, declined.text);
  t.match(declined.json, { status: 'declined', decisionReason: 'Too expensive', decidedBy: 'boss@initech.test' });
  const again = await w.write('POST', `/api/v1/portal/quotes/${sent.id}/decision`, w.initech, { decision: 'accept' });
  t.equal(again.status, 409, 'decided once');
  t.match(again.json, { error: { code: 'conflict', details: { status: 'declined' } } });

  const expired = await make(w.initech.id, 'sent');
  await w.kernel.database.platform.query("UPDATE portal_quote SET valid_until = now() - interval '1 day' WHERE id = ?", [expired.id]);
  t.equal((await w.write('POST', `/api/v1/portal/quotes/${expired.id}/decision`, w.initech, { decision: 'accept' })).status, 409, 'an expired quote');

  const trail = await eventually(async () => {
    const listed = await w.read('/api/v1/audit/records?action=decidePortalQuote', w.acmeAdmin);
    return listed.status === 200 && listed.json.data.length > 0 ? listed.json.data : undefined;
  });
  t.equal(trail.length, 1, 'the one decision that changed something is in the audit trail');
  t.match(trail[0], { action: 'decidePortalQuote', outcome: 'success', principal: { kind: 'session', name: 'boss@initech.test' } });
  t.ok(
    trail[0].diff.some((change: { table: string }) => change.table === 'portal_quote'),
    'with the quote row it changed',
  );
});
