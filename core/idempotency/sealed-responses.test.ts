import { randomBytes } from 'node:crypto';
import t from 'tap';
import { Database } from '../db/database.ts';
import { createLogger } from '../logging/logger.ts';
import { call } from '../plugin-api/testing.ts';
import { keyFingerprint } from '../secrets/envelope.ts';
import { MasterKeyring } from '../secrets/master-key.ts';
import { rewrapAll } from '../secrets/master-key-rotation.ts';
import { dumpAllRows } from '../secrets/secrets.testkit.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { cloneTestDatabase } from '../testing/test-database.ts';
import { IdempotencyStore } from './idempotency-store.ts';

const env = { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true', ITOPS_MASTER_KEY: randomBytes(32).toString('base64') };

/** The forms a value could take in a dump: as text, its UTF-8 bytes in hex (bytea), and base64. */
const formsOf = (secret: string) => [secret, Buffer.from(secret, 'utf8').toString('hex'), Buffer.from(secret, 'utf8').toString('base64')];

t.test('secrets shown once are stored sealed for replay: the dump has none, a retry gets the same secret', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { env });
  const hookRequest = {
    headers: { ...acmeAdmin.headers, 'idempotency-key': 'create-hook-1' },
    body: { url: 'http://127.0.0.1:9/hook', topics: ['webhook.test'] },
  };
  const hook = await call(kernel, 'POST', '/api/v1/webhooks', hookRequest);
  t.equal(hook.status, 201, hook.text);
  const keyRequest = { headers: { ...acmeAdmin.headers, 'idempotency-key': 'create-key-1' }, body: { name: 'ci', scope: 'read' } };
  const apiKey = await call(kernel, 'POST', '/api/v1/apikeys', keyRequest);
  t.equal(apiKey.status, 201, apiKey.text);
  const secrets = { 'webhook secret': hook.json.secret as string, 'API key': apiKey.json.api_key as string };
  t.match(secrets, { 'webhook secret': /^whsec_/, 'API key': /.{20,}/ });

  const [stored] = await kernel.database.platform.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM idempotency_record WHERE idempotency_key IN ('create-hook-1', 'create-key-1') AND state = 'completed'",
  );
  t.equal(stored.n, 2, 'both responses are kept for replay');
  const dump = await dumpAllRows(kernel.database.platform.query);
  for (const [what, secret] of Object.entries(secrets)) {
    for (const form of formsOf(secret)) t.notOk(dump.includes(form), `the ${what} is nowhere in the dump (${form.slice(0, 10)}…)`);
  }

  const hookAgain = await call(kernel, 'POST', '/api/v1/webhooks', hookRequest);
  t.equal(hookAgain.status, 201);
  t.equal(hookAgain.headers.get('idempotent-replayed'), 'true');
  t.same(hookAgain.json, hook.json, 'the retry gets the same webhook and secret');
  const keyAgain = await call(kernel, 'POST', '/api/v1/apikeys', keyRequest);
  t.equal(keyAgain.headers.get('idempotent-replayed'), 'true');
  t.equal(keyAgain.json.api_key, secrets['API key'], 'and the same API key');
  const listed = await call(kernel, 'GET', '/api/v1/webhooks', { headers: acmeAdmin.headers });
  t.equal(listed.json.data.length, 1, 'one webhook was created');
});

t.test('a stored response opens after a master key rotation, and plaintext ones from before are sealed', async (t) => {
  const clone = await cloneTestDatabase();
  const database = new Database(clone.url, 2, createLogger('warn'));
  t.teardown(async () => {
    await database.close();
    await clone.drop();
  });
  const oldKey = randomBytes(32);
  const store = new IdempotencyStore(database.query, new MasterKeyring(oldKey));
  const body = Buffer.from(JSON.stringify({ secret: 'whsec_replayed-after-rotation' }));
  t.same(await store.claim('scope', 'rotated', 'hash'), { kind: 'new' });
  await store.complete('scope', 'rotated', { status: 201, headers: {}, body });

  // A record stored by a version that kept bodies in plaintext.
  const legacy = Buffer.from(JSON.stringify({ api_key: 'itops_legacy-plaintext-key' }));
  await database.query(
    `INSERT INTO idempotency_record (scope, idempotency_key, request_hash, state, response_status, response_headers, response_body, expires_at)
     VALUES ('scope', 'legacy', 'hash', 'completed', 201, '{}', ?, now() + interval '1 hour')`,
    [legacy],
  );
  t.equal(await store.sealStoredInPlaintext(), 1, 'the boot step seals it');
  const dump = await dumpAllRows(database.query);
  for (const form of [...formsOf('itops_legacy-plaintext-key'), ...formsOf('whsec_replayed-after-rotation')])
    t.notOk(dump.includes(form), `no ${form.slice(0, 10)}…`);

  const newKey = randomBytes(32);
  const rotation = await rewrapAll(database.platform, new MasterKeyring(oldKey), { id: keyFingerprint(newKey), key: newKey }, { publish: async () => '0' });
  t.same(rotation.from, [keyFingerprint(oldKey)]);
  const afterRotation = new IdempotencyStore(database.query, new MasterKeyring(newKey));
  t.match(await afterRotation.claim('scope', 'rotated', 'hash'), { kind: 'replay', response: { status: 201, body } }, 'the new key alone opens it');
  t.match(await afterRotation.claim('scope', 'legacy', 'hash'), { kind: 'replay', response: { status: 201, body: legacy } }, 'the sealed legacy body too');
});
