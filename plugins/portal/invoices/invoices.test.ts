import t from 'tap';
import { eventually } from '../../../core/plugin-api/testing.ts';
import { startPortal } from '../portal.testkit.ts';

const lines = [
  { description: 'Managed endpoints', quantity: 42, unitMinor: 1_250, taxRateBp: 2000 },
  { description: 'Backup storage (TB)', quantity: 3, unitMinor: 3_333, taxRateBp: 700 },
];
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

t.test('invoices resource: lines, tax and totals exact; drafts deleted, issued ones voided; roles and workspaces', async (t) => {
  const w = await startPortal(t);
  const created = await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(14) });
  t.equal(created.status, 201, created.text);
  // 52500 net, 10500 tax; 9999 net, 699.93 → 700 tax
  t.match(created.json, {
    status: 'issued',
    overdue: false,
    subtotalMinor: 62_499,
    taxMinor: 11_200,
    totalMinor: 73_699,
    paidMinor: 0,
    balanceMinor: 73_699,
    lines: [
      { description: 'Managed endpoints', netMinor: 52_500, taxMinor: 10_500 },
      { description: 'Backup storage (TB)', netMinor: 9_999, taxMinor: 700 },
    ],
    acknowledgedAt: null,
    version: 1,
  });
  const id = created.json.id;
  t.equal((await w.read(`/api/v1/invoices?clientId=${w.initech.id}&status=issued`, w.acmeBilling)).json.data[0].totalMinor, 73_699);
  t.equal((await w.read(`/api/v1/invoices/${id}`, w.acmeBilling)).json.lines.length, 2);

  const patched = await w.write('PATCH', `/api/v1/invoices/${id}`, w.acmeBilling, { lines: [lines[0]], version: 1 });
  t.match(patched.json, { totalMinor: 63_000, lines: [{ netMinor: 52_500 }], version: 2 });
  t.equal(patched.json.lines.length, 1);
  t.equal((await w.write('PATCH', `/api/v1/invoices/${id}`, w.acmeBilling, { dueAt: inDays(1), version: 1 })).status, 409);
  const replaced = await w.write('PUT', `/api/v1/invoices/${id}`, w.acmeBilling, { currency: 'USD', lines, dueAt: inDays(30), version: 2 });
  t.match(replaced.json, { currency: 'USD', totalMinor: 73_699, status: 'issued', version: 3 });
  t.equal((await w.write('DELETE', `/api/v1/invoices/${id}`, w.acmeBilling)).status, 409, 'an issued invoice is voided, not deleted');
  const voided = await w.write('PATCH', `/api/v1/invoices/${id}`, w.acmeBilling, { status: 'void', version: 3 });
  t.equal(voided.json.status, 'void');
  t.equal((await w.write('PATCH', `/api/v1/invoices/${id}`, w.acmeBilling, { status: 'issued', version: 4 })).status, 409, 'void is final');
  const draft = await w.write('POST', '/api/v1/invoices', w.acmeBilling, {
    clientId: w.initech.id,
    currency: 'EUR',
    lines,
    dueAt: inDays(14),
    status: 'draft',
    number: 'INV-7',
  });
  t.equal(
    (await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(14), number: 'INV-7' })).status,
    409,
  );
  t.equal((await w.write('DELETE', `/api/v1/invoices/${draft.json.id}`, w.acmeBilling)).status, 204);

  t.equal((await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines })).status, 400, 'dueAt is required');
  t.equal((await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'ABC', lines, dueAt: inDays(1) })).status, 400);
  t.equal(
    (
      await w.write('POST', '/api/v1/invoices', w.acmeBilling, {
        clientId: w.initech.id,
        currency: 'EUR',
        lines: [{ description: 'x', quantity: 1, unitMinor: 0.5 }],
        dueAt: inDays(1),
      })
    ).status,
    400,
  );
  t.equal((await w.write('POST', '/api/v1/invoices', { headers: {} }, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(1) })).status, 401);
  t.equal((await w.write('POST', '/api/v1/invoices', w.acmeViewer, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(1) })).status, 403);
  t.equal((await w.read('/api/v1/invoices', w.acmeOps)).status, 403, 'ops do not see billing');
  t.equal((await w.read(`/api/v1/invoices/${id}`, w.globexAdmin)).status, 404);
  t.equal((await w.write('POST', '/api/v1/invoices', w.globexAdmin, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(1) })).status, 404);
});

t.test('portal invoices: acknowledge, an idempotent payment intent, confirmation, payments; isolation', async (t) => {
  const w = await startPortal(t);
  const issue = async (clientId: string, extra: Record<string, unknown> = {}) =>
    (await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId, currency: 'EUR', lines, dueAt: inDays(14), ...extra })).json;
  const invoice = await issue(w.initech.id);
  const draft = await issue(w.initech.id, { status: 'draft' });
  const theirs = await issue(w.umbrella.id);

  const list = await w.read('/api/v1/portal/invoices', w.initech);
  t.equal(list.status, 200, list.text);
  t.same(
    list.json.data.map((i: { id: string }) => i.id),
    [invoice.id],
    'no drafts, no other client',
  );

  for (const path of [`${theirs.id}/acknowledge`, `${theirs.id}/payment-intent`, `${draft.id}/acknowledge`]) {
    const denied = await w.write('POST', `/api/v1/portal/invoices/${path}`, w.initech);
    t.equal(denied.status, 404, `client A's session: ${path}`);
    t.match(denied.json, { error: { code: 'not_found' } });
  }

  const acknowledged = await w.write('POST', `/api/v1/portal/invoices/${invoice.id}/acknowledge`, w.initech);
  t.equal(acknowledged.status, 200, acknowledged.text);
  t.match(acknowledged.json, { acknowledgedBy: 'boss@initech.test' });
  const again = await w.write('POST', `/api/v1/portal/invoices/${invoice.id}/acknowledge`, w.initech);
  t.equal(again.json.acknowledgedAt, acknowledged.json.acknowledgedAt, 'acknowledging again changes nothing');

  const intent = await w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech, { provider: 'manual' });
  t.equal(intent.status, 201, intent.text);
  t.match(intent.json, {
    invoiceId: invoice.id,
    provider: 'manual',
    status: 'pending',
    amountMinor: 73_699,
    currency: 'EUR',
    instructions: { method: 'bank_transfer', amount: '736.99' },
  });
  const same = await w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech);
  t.equal(same.status, 200, 'a second request answers the pending intent');
  t.equal(same.json.id, intent.json.id);
  const [both] = await Promise.all([
    w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech),
    w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech),
  ]);
  t.equal(both.json.id, intent.json.id, 'concurrent requests too');
  const count = await w.kernel.database.platform.query<{ n: number }>('SELECT count(*)::int AS n FROM portal_payment WHERE invoice_id = ?', [invoice.id]);
  t.equal(count[0].n, 1, 'one intent in the database');
  t.equal((await w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech, { provider: 'card' })).status, 400);
  t.equal((await w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, { headers: {} })).status, 401);
  t.equal((await w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.acmeBilling)).status, 403);

  const payments = await w.read('/api/v1/portal/payments', w.initech);
  t.equal(payments.status, 200, payments.text);
  t.same(
    payments.json.data.map((p: { id: string }) => p.id),
    [intent.json.id],
  );
  t.equal((await w.read('/api/v1/portal/payments', w.umbrella)).json.page.total, 0, 'another client sees none of them');
  t.equal((await w.read('/api/v1/portal/payments', w.acmeViewer)).status, 403);
  t.equal((await w.read('/api/v1/portal/payments?status=nope', w.initech)).status, 400);

  const pending = await w.read(`/api/v1/payments?status=pending&clientId=${w.initech.id}`, w.acmeBilling);
  t.equal(pending.status, 200, pending.text);
  t.same(
    pending.json.data.map((p: { id: string; reference: string }) => [p.id, p.reference]),
    [[intent.json.id, intent.json.reference]],
    'staff find the transfer to confirm by its reference',
  );
  t.equal((await w.read(`/api/v1/payments?q=${encodeURIComponent(intent.json.reference)}`, w.acmeBilling)).json.page.total, 1);
  t.equal((await w.read('/api/v1/payments', w.acmeViewer)).status, 403);
  t.equal((await w.read('/api/v1/payments', { headers: {} })).status, 401);
  t.equal((await w.read('/api/v1/payments?status=lost', w.acmeBilling)).status, 400);
  t.equal((await w.read('/api/v1/payments', w.globexAdmin)).json.page.total, 0, "another workspace's payments are not there");
  t.equal((await w.write('POST', `/api/v1/payments/${intent.json.id}/confirm`, w.acmeViewer)).status, 403);
  t.equal((await w.write('POST', `/api/v1/payments/${intent.json.id}/confirm`, w.globexAdmin)).status, 404);
  const confirmed = await w.write('POST', `/api/v1/payments/${intent.json.id}/confirm`, w.acmeBilling);
  t.equal(confirmed.status, 200, confirmed.text);
  t.equal(confirmed.json.status, 'succeeded');
  t.equal((await w.write('POST', `/api/v1/payments/${intent.json.id}/confirm`, w.acmeBilling)).status, 409, 'confirmed once');
  const paid = await w.read(`/api/v1/invoices/${invoice.id}`, w.acmeBilling);
  t.match(paid.json, { status: 'paid', paidMinor: 73_699, balanceMinor: 0 });
  const nothingLeft = await w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech);
  t.equal(nothingLeft.status, 409, 'a paid invoice has nothing to pay');
});

t.test('the daily sweep marks issued invoices past due once and publishes invoice.overdue', async (t) => {
  const w = await startPortal(t);
  const events: { topic: string; tenantId: string | null; payload: any }[] = [];
  w.kernel.events.subscribe((event) => events.push(event as any));
  const late = (
    await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(-1), issuedAt: inDays(-31) })
  ).json;
  await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(3) });
  await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(-1), status: 'draft' });

  await w.kernel.jobs.send('portal.invoice_overdue', {});
  const event = await eventually(() => events.find((e) => e.topic === 'invoice.overdue'));
  t.match(event, { tenantId: 'acme', payload: { invoiceId: late.id, clientId: w.initech.id, balanceMinor: 73_699, balance: '736.99', currency: 'EUR' } });
  t.equal((await w.read(`/api/v1/invoices/${late.id}`, w.acmeBilling)).json.overdue, true);
  t.equal((await w.read('/api/v1/portal/invoices', w.initech)).json.data.filter((i: { overdue: boolean }) => i.overdue).length, 1, 'the client sees it too');

  await w.kernel.jobs.send('portal.invoice_overdue', {});
  await eventually(async () => {
    const [state] = await w.kernel.database.platform.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'portal.invoice_overdue' AND state = 'completed'",
    );
    return state.n >= 2 ? true : undefined;
  });
  t.equal(events.filter((e) => e.topic === 'invoice.overdue').length, 1, 'announced once');
});
