import { createHmac, randomBytes } from 'node:crypto';
import t from 'tap';
import { verifyWebhook, WebhookVerificationError } from './webhook-signature.ts';

// The SDK only verifies; the test signs the way a sender does (core signs in core/webhooks).
const signWebhook = (key: string, msgId: string, ts: number, payload: string) =>
  `v1,${createHmac('sha256', Buffer.from(key.slice('whsec_'.length), 'base64'))
    .update(`${msgId}.${ts}.${payload}`)
    .digest('base64')}`;

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const now = new Date('2026-03-01T12:00:00Z');
const timestamp = Math.floor(now.getTime() / 1000);
const id = 'msg_2xKq9';
const body = '{"type":"alert.fired","data":{"alertId":"a-1"}}';
const headersFor = (signature: string, ts: number | string = timestamp) => ({
  'webhook-id': id,
  'webhook-timestamp': String(ts),
  'webhook-signature': signature,
});

const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
  return 'verified';
};

t.test('a valid signature verifies and returns the delivery id and time', async (t) => {
  const result = verifyWebhook(secret, headersFor(signWebhook(secret, id, timestamp, body)), body, { now });
  t.same(result, { id, timestamp: new Date(timestamp * 1000) });
  t.equal(
    reasonOf(() => verifyWebhook(secret, new Headers(headersFor(signWebhook(secret, id, timestamp, body))), Buffer.from(body), { now })),
    'verified',
    'Headers and a Buffer body work too',
  );
});

t.test('matches the Standard Webhooks reference vector', async (t) => {
  // From the Standard Webhooks specification's test suite.
  const refSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const refBody = '{"test": 2432232314}';
  const headers = {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  };
  t.equal(
    reasonOf(() => verifyWebhook(refSecret, headers, refBody, { now: new Date(1614265330 * 1000) })),
    'verified',
  );
});

t.test('a tampered body fails', async (t) => {
  const headers = headersFor(signWebhook(secret, id, timestamp, body));
  t.equal(
    reasonOf(() => verifyWebhook(secret, headers, body.replace('a-1', 'a-2'), { now })),
    'no_matching_signature',
  );
});

t.test('a signature made with another secret fails', async (t) => {
  const other = `whsec_${randomBytes(24).toString('base64')}`;
  t.equal(
    reasonOf(() => verifyWebhook(secret, headersFor(signWebhook(other, id, timestamp, body)), body, { now })),
    'no_matching_signature',
  );
});

t.test('timestamps outside the tolerance fail, either way', async (t) => {
  const old = timestamp - 301;
  t.equal(
    reasonOf(() => verifyWebhook(secret, headersFor(signWebhook(secret, id, old, body), old), body, { now })),
    'timestamp_too_old',
  );
  const future = timestamp + 301;
  t.equal(
    reasonOf(() => verifyWebhook(secret, headersFor(signWebhook(secret, id, future, body), future), body, { now })),
    'timestamp_too_new',
  );
  t.equal(
    reasonOf(() => verifyWebhook(secret, headersFor(signWebhook(secret, id, old, body), old), body, { now, toleranceSeconds: 600 })),
    'verified',
  );
  t.equal(
    reasonOf(() => verifyWebhook(secret, headersFor('v1,abc', '2026-03-01'), body, { now })),
    'invalid_timestamp',
  );
});

t.test('one valid signature among several (key rotation) is enough', async (t) => {
  const stale = signWebhook(`whsec_${randomBytes(24).toString('base64')}`, id, timestamp, body);
  const list = `v1a,c29tZXRoaW5nIGVsc2U= ${stale} v1,short ${signWebhook(secret, id, timestamp, body)}`;
  t.equal(
    reasonOf(() => verifyWebhook(secret, headersFor(list), body, { now })),
    'verified',
  );
  t.equal(
    reasonOf(() => verifyWebhook(secret, headersFor(`${stale} v1,short`), body, { now })),
    'no_matching_signature',
  );
});

t.test('missing headers and a malformed secret are named', async (t) => {
  t.equal(
    reasonOf(() => verifyWebhook(secret, { 'webhook-id': id }, body, { now })),
    'missing_header',
  );
  t.equal(
    reasonOf(() => verifyWebhook('whsec_not base64!', headersFor('v1,abc'), body, { now })),
    'invalid_secret',
  );
});

t.test('a receiver switching secrets may pass both: a signature by either verifies', async (t) => {
  const next = `whsec_${randomBytes(24).toString('base64')}`;
  const stranger = `whsec_${randomBytes(24).toString('base64')}`;
  t.equal(
    reasonOf(() => verifyWebhook([next, secret], headersFor(signWebhook(secret, id, timestamp, body)), body, { now })),
    'verified',
    'old',
  );
  t.equal(
    reasonOf(() => verifyWebhook([next, secret], headersFor(signWebhook(next, id, timestamp, body)), body, { now })),
    'verified',
    'new',
  );
  t.equal(
    reasonOf(() => verifyWebhook([next, secret], headersFor(signWebhook(stranger, id, timestamp, body)), body, { now })),
    'no_matching_signature',
  );
  t.equal(
    reasonOf(() => verifyWebhook([], headersFor(signWebhook(secret, id, timestamp, body)), body, { now })),
    'invalid_secret',
  );
});
