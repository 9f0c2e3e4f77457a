import t from 'tap';
import type { PaymentConfirmation, PaymentProvider } from '../billing/payment-providers.ts';
import { startPortal } from '../portal.testkit.ts';

const lines = [{ description: 'Managed endpoints', quantity: 4, unitMinor: 2_500, taxRateBp: 2000 }];
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
};

/**
 * A card-like provider (under the id the contract accepts) whose createIntent can be held open, as a
 * slow provider's network call would be, and whose confirm answer the test sets.
 */
function heldProvider() {
  const seen = { cancelled: [] as string[], confirm: 'succeeded' as PaymentConfirmation['status'], intents: 0, failWith: undefined as Error | undefined };
  let gate: { entered: ReturnType<typeof deferred>; release: ReturnType<typeof deferred> } | undefined;
  const provider: PaymentProvider = {
    id: 'manual',
    async createIntent(request) {
      seen.intents += 1;
      if (seen.failWith) throw seen.failWith;
      const held = gate;
      if (held) {
        held.entered.resolve();
        await held.release.promise;
      }
      return { reference: `CARD-${request.paymentId.slice(0, 8)}`, instructions: { method: 'card', checkoutUrl: `https://pay.example/${request.paymentId}` } };
    },
    async confirm() {
      return { status: seen.confirm, reason: seen.confirm === 'succeeded' ? undefined : 'not captured yet' };
    },
    async cancel(payment) {
      seen.cancelled.push(payment.paymentId);
    },
  };
  const hold = () => {
    gate = { entered: deferred(), release: deferred() };
    return gate;
  };
  return { provider, seen, hold, unhold: () => (gate = undefined) };
}

t.test('payment intent: the provider is called with no invoice row held, and the intent stays one per invoice', async (t) => {
  const card = heldProvider();
  const w = await startPortal(t, { portal: { paymentProviders: [card.provider] } });
  const invoice = (await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(14) })).json;

  const gate = card.hold();
  const first = w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech);
  await gate.entered.promise;
  const [free] = await w.kernel.database.platform.query<{ id: string }>('SELECT id FROM portal_invoice WHERE id = ? FOR UPDATE NOWAIT', [invoice.id]);
  t.equal(free?.id, invoice.id, 'the invoice row is not locked while the provider works');
  const moved = await w.write('PATCH', `/api/v1/invoices/${invoice.id}`, w.acmeBilling, { dueAt: inDays(30), version: invoice.version });
  t.equal(moved.status, 200, 'staff change the invoice meanwhile');
  const second = w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech);
  gate.release.resolve();
  const [opened, waited] = await Promise.all([first, second]);
  t.equal(opened.status, 201, opened.text);
  t.match(opened.json, { status: 'pending', amountMinor: 12_000, currency: 'EUR', reference: /^CARD-/, instructions: { method: 'card' } });
  t.equal(waited.status, 200, 'a request during the provider call answers the intent being opened');
  t.equal(waited.json.id, opened.json.id);
  t.equal(card.seen.intents, 1, 'the provider was asked once');
  card.unhold();

  const again = await w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech);
  t.equal(again.status, 200);
  t.equal(again.json.id, opened.json.id);
  const [{ n }] = await w.kernel.database.platform.query<{ n: number }>('SELECT count(*)::int AS n FROM portal_payment WHERE invoice_id = ?', [invoice.id]);
  t.equal(n, 1, 'one payment');
  const [{ left }] = await w.kernel.database.platform.query<{ left: number }>('SELECT count(*)::int AS left FROM portal_payment_reservation');
  t.equal(left, 0, 'no reservation is left behind');

  card.seen.confirm = 'pending';
  const early = await w.write('POST', `/api/v1/payments/${opened.json.id}/confirm`, w.acmeBilling);
  t.equal(early.status, 409, 'the provider has not got the money yet');
  t.match(early.json, { error: { code: 'conflict', message: /pending: not captured yet/ } });
  t.equal((await w.read(`/api/v1/invoices/${invoice.id}`, w.acmeBilling)).json.paidMinor, 0);
  card.seen.confirm = 'succeeded';
  const confirmed = await w.write('POST', `/api/v1/payments/${opened.json.id}/confirm`, w.acmeBilling);
  t.equal(confirmed.status, 200, confirmed.text);
  t.match((await w.read(`/api/v1/invoices/${invoice.id}`, w.acmeBilling)).json, { status: 'paid', paidMinor: 12_000 });
});

t.test('payment intent: an invoice voided while the provider works gets no payment, and the intent is cancelled', async (t) => {
  const card = heldProvider();
  const w = await startPortal(t, { portal: { paymentProviders: [card.provider] } });
  const invoice = (await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(14) })).json;

  const gate = card.hold();
  const pending = w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech);
  await gate.entered.promise;
  t.equal((await w.write('PATCH', `/api/v1/invoices/${invoice.id}`, w.acmeBilling, { status: 'void', version: invoice.version })).status, 200);
  gate.release.resolve();
  const refused = await pending;
  t.equal(refused.status, 409, refused.text);
  t.match(refused.json, { error: { code: 'conflict' } });
  t.equal(card.seen.cancelled.length, 1, 'the provider is told the intent will never be paid');
  const rows = await w.kernel.database.platform.query('SELECT 1 FROM portal_payment WHERE invoice_id = ?', [invoice.id]);
  t.equal(rows.length, 0, 'no payment was recorded');
  card.unhold();
  t.equal((await w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech)).status, 409, 'a void invoice has nothing to pay');

  const other = (await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(14) })).json;
  const intent = await w.write('POST', `/api/v1/portal/invoices/${other.id}/payment-intent`, w.initech);
  t.equal(intent.status, 201, intent.text);
  t.equal((await w.write('PATCH', `/api/v1/invoices/${other.id}`, w.acmeBilling, { status: 'void', version: other.version })).status, 200);
  t.same(card.seen.cancelled.slice(1), [intent.json.id], 'voiding an invoice cancels its pending intent at the provider');
  t.match((await w.read(`/api/v1/payments?invoiceId=${other.id}`, w.acmeBilling)).json.data, [{ id: intent.json.id, status: 'cancelled' }]);
});

t.test('payment intent: a provider that fails answers 503 in the standard format, reserves nothing, and the next ask opens the intent', async (t) => {
  const card = heldProvider();
  const w = await startPortal(t, { portal: { paymentProviders: [card.provider] } });
  const invoice = (await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(14) })).json;
  card.seen.failWith = new Error('connect ECONNREFUSED 10.0.0.7:443 (provider secret sk_live_hunter2)');
  const failed = await w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech);
  t.equal(failed.status, 503, failed.text);
  t.match(failed.json, { error: { code: 'unavailable', message: /payment provider manual could not open the payment/ } });
  t.notMatch(failed.text, /hunter2|ECONNREFUSED/, 'what the provider said stays in the log');
  const [{ left }] = await w.kernel.database.platform.query<{ left: number }>('SELECT count(*)::int AS left FROM portal_payment_reservation');
  t.equal(left, 0, 'the reservation was released');
  card.seen.failWith = undefined;
  const opened = await w.write('POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`, w.initech);
  t.equal(opened.status, 201, opened.text);
});
