import t from 'tap';
import { call, eventually } from '../../../core/plugin-api/testing.ts';
import { startPortal } from '../portal.testkit.ts';
import type { AccountingAdapter } from './accounting-adapters.ts';

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

t.test('accounting sync: a tracked job exports invoices and payments as CSV or JSON, exact amounts', async (t) => {
  const w = await startPortal(t);
  await w.write('PATCH', `/api/v1/clients/${w.initech.id}`, w.acmeOps, { externalRef: '=HYPERLINK("x")', version: 1 });
  const invoice = await w.write('POST', '/api/v1/invoices', w.acmeBilling, {
    clientId: w.initech.id,
    number: 'INV-100',
    currency: 'EUR',
    dueAt: inDays(10),
    lines: [{ description: 'Support, "premium"', quantity: 3, unitMinor: 3_333, taxRateBp: 1900 }],
  });
  await w.write('POST', '/api/v1/invoices', w.acmeBilling, {
    clientId: w.initech.id,
    number: 'DRAFT-1',
    currency: 'EUR',
    dueAt: inDays(10),
    lines: [],
    status: 'draft',
  });
  await w.write('POST', `/api/v1/portal/invoices/${invoice.json.id}/payment-intent`, w.initech);

  const queued = await w.write('POST', '/api/v1/integrations/accounting/sync', w.acmeBilling, { format: 'csv' });
  t.equal(queued.status, 202, queued.text);
  t.match(queued.json, { state: 'queued', adapter: 'file', format: 'csv', startedAt: null, artifactUrl: null, createdBy: 'bill@acme.test' });
  const done = await eventually(async () => {
    const sync = await w.read(`/api/v1/integrations/accounting/sync/${queued.json.id}`, w.acmeBilling);
    return sync.json.state === 'completed' || sync.json.state === 'failed' ? sync.json : undefined;
  });
  t.match(done, { state: 'completed', invoices: 1, payments: 1, errorCode: null, retryCount: 0 });
  t.match(done.artifactUrl, new RegExp(`/api/v1/integrations/accounting/sync/${queued.json.id}/file$`));
  const file = await w.read(`/api/v1/integrations/accounting/sync/${queued.json.id}/file`, w.acmeBilling);
  t.equal(file.status, 200);
  t.match(file.headers.get('content-type'), /text\/csv/);
  const rows = file.text.trim().split('\r\n');
  t.equal(rows.length, 3, 'header, one invoice line, one payment');
  // 99.99 net, 18.9981 → 19.00 tax, 118.99 total; the formula-like client reference is quoted as text
  t.equal(
    rows[1],
    `invoice_line,INV-100,Initech,"'=HYPERLINK(""x"")",EUR,${invoice.json.issuedAt},${invoice.json.dueAt},issued,"Support, ""premium""",3,33.33,1900,99.99,19.00,118.99,`,
  );
  t.match(rows[2], /^payment,INV-100,,,EUR,.*,pending,manual,,,,,,118\.99,INV-100-/);

  const json = await w.write('POST', '/api/v1/integrations/accounting/sync', w.acmeBilling, { format: 'json' });
  await eventually(async () =>
    (await w.read(`/api/v1/integrations/accounting/sync/${json.json.id}`, w.acmeBilling)).json.state === 'completed' ? true : undefined,
  );
  const exported = await w.read(`/api/v1/integrations/accounting/sync/${json.json.id}/file`, w.acmeBilling);
  t.match(exported.json, {
    invoices: [{ number: 'INV-100', totalMinor: 11_899, lines: [{ netMinor: 9_999, taxMinor: 1_900 }] }],
    payments: [{ amountMinor: 11_899 }],
  });

  t.equal((await w.write('POST', '/api/v1/integrations/accounting/sync', w.acmeBilling, { format: 'xml' })).status, 400);
  t.equal((await w.write('POST', '/api/v1/integrations/accounting/sync', { headers: {} }, {})).status, 401);
  t.equal((await w.write('POST', '/api/v1/integrations/accounting/sync', w.acmeViewer, {})).status, 403);
  t.equal((await w.write('POST', '/api/v1/integrations/accounting/sync', w.initech, {})).status, 403);
  t.equal((await w.read(`/api/v1/integrations/accounting/sync/${queued.json.id}`, w.globexAdmin)).status, 404);
  t.equal((await w.read(`/api/v1/integrations/accounting/sync/${queued.json.id}/file`, w.globexAdmin)).status, 404);
  const empty = await w.write('POST', '/api/v1/integrations/accounting/sync', w.globexAdmin, {});
  t.equal(empty.status, 202);
  const globex = await eventually(async () => {
    const sync = await w.read(`/api/v1/integrations/accounting/sync/${empty.json.id}`, w.globexAdmin);
    return sync.json.state === 'completed' ? sync.json : undefined;
  });
  t.match(globex, { invoices: 0, payments: 0 }, "another workspace's export holds none of acme's");
  t.equal((await call(w.kernel, 'GET', `/api/v1/integrations/accounting/sync/${queued.json.id}/file`, { headers: {} })).status, 401);
});

t.test('accounting sync: a failing adapter is retried by the job queue, and the last failure is the sync’s', async (t) => {
  // CSV stands for a ledger that stays down, JSON for one that recovers after one failure.
  const calls = { csv: 0, json: 0 };
  const adapters: AccountingAdapter[] = [
    {
      id: 'file',
      async deliver(_batch, format) {
        calls[format] += 1;
        if (format === 'json' && calls.json > 1) return { mediaType: 'application/json', content: '{}' };
        throw Object.assign(new Error('the ledger answered 503'), { code: 'ledger_unavailable' });
      },
    },
  ];
  const w = await startPortal(t, { portal: { accountingAdapters: adapters, accountingRetryDelaySeconds: 1 } });

  const queued = await w.write('POST', '/api/v1/integrations/accounting/sync', w.acmeBilling, { format: 'csv' });
  t.equal(queued.status, 202, queued.text);
  const failed = await eventually(async () => {
    const sync = await w.read(`/api/v1/integrations/accounting/sync/${queued.json.id}`, w.acmeBilling);
    return sync.json.state === 'failed' ? sync.json : undefined;
  }, 40_000);
  t.match(failed, { state: 'failed', retryCount: 2, errorCode: 'ledger_unavailable', errorMessage: 'the ledger answered 503', artifactUrl: null });
  t.equal(calls.csv, 3, 'the first attempt and two retries');
  t.equal((await w.read(`/api/v1/integrations/accounting/sync/${queued.json.id}/file`, w.acmeBilling)).status, 409, 'a failed sync has no file');

  const recovering = await w.write('POST', '/api/v1/integrations/accounting/sync', w.acmeBilling, { format: 'json' });
  const completed = await eventually(async () => {
    const sync = await w.read(`/api/v1/integrations/accounting/sync/${recovering.json.id}`, w.acmeBilling);
    return sync.json.state === 'completed' || sync.json.state === 'failed' ? sync.json : undefined;
  }, 40_000);
  t.match(completed, { state: 'completed', retryCount: 1, errorCode: null, errorMessage: null }, 'a retry that succeeds clears the error');
});
