import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { startTestKernel } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { keyFingerprint } from './envelope.ts';
import { MasterKeyring, masterKeyFile } from './master-key.ts';
import { SecretStore } from './secret-store.ts';
import { secretsProbePlugin, send } from './secrets.testkit.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

/** `npm run secrets -- rotate-master-key` as an operator runs it, against the test's database. */
async function rotate(env: Record<string, string>): Promise<string> {
  const { stdout } = await run(path.join(root, 'node_modules/.bin/tsx'), ['scripts/secrets.ts', 'rotate-master-key'], {
    cwd: root,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', ITOPS_LOG_LEVEL: 'silent', ...env },
  });
  return stdout;
}

type Row = { key: string; tenant_id: string | null; ciphertext: Buffer; wrapped_key: Buffer; master_key_id: string };
const stored = (query: (sql: string) => Promise<Row[]>) =>
  query(
    `SELECT key, NULL AS tenant_id, ciphertext, wrapped_key, master_key_id FROM platform_secret
     UNION ALL SELECT key, tenant_id, ciphertext, wrapped_key, master_key_id FROM workspace_secret ORDER BY 1, 2`,
  );

const values = { platform: 'platform-value-1', acme: 'acme-value-2', globex: 'globex-value-3' };

t.test('rotating the development master key re-wraps every data key; every secret stays readable', async (t) => {
  const probe = secretsProbePlugin();
  const { kernel, admin, acmeAdmin, globexAdmin } = await startWorld(t, { plugins: [probe.manifest] });
  const keyFile = masterKeyFile(kernel.config.dataDir);
  t.equal((await stat(keyFile)).mode & 0o777, 0o600, 'the generated key file is readable by its owner only');
  await send(kernel, 'POST', '/api/v1/platform/secrets/vault_probe.a', { headers: admin.headers, body: { value: values.platform } });
  await send(kernel, 'POST', '/api/v1/workspace/secrets/vault_probe.a', { headers: acmeAdmin.headers, body: { value: values.acme } });
  await send(kernel, 'POST', '/api/v1/workspace/secrets/vault_probe.a', { headers: globexAdmin.headers, body: { value: values.globex } });
  const oldKey = Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64');
  const before = await stored(kernel.database.platform.query);
  t.same(new Set(before.map((r) => r.master_key_id)), new Set([keyFingerprint(oldKey)]));

  const output = await rotate({ DATABASE_URL: kernel.database.url, ITOPS_DATA_DIR: kernel.config.dataDir });
  t.match(output, /re-wrapped 3 data keys from [0-9a-f]{16} under master key [0-9a-f]{16}/);
  const newKey = Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64');
  t.not(newKey.toString('hex'), oldKey.toString('hex'), 'a new key replaced the old one');
  t.equal((await stat(keyFile)).mode & 0o777, 0o600, 'still readable by its owner only');

  const after = await stored(kernel.database.platform.query);
  t.equal(after.length, 3);
  for (const [i, row] of after.entries()) {
    t.equal(row.master_key_id, keyFingerprint(newKey), `${row.tenant_id ?? 'platform'}: wrapped by the new key`);
    t.ok(row.ciphertext.equals(before[i].ciphertext), `${row.tenant_id ?? 'platform'}: the value's ciphertext is untouched`);
    t.notOk(row.wrapped_key.equals(before[i].wrapped_key), `${row.tenant_id ?? 'platform'}: its data key is wrapped anew`);
  }

  // The running server reads on (it finds the new key in the data directory) ...
  t.equal(await probe.secrets.read(null, 'a'), values.platform);
  t.equal(await probe.secrets.read('acme', 'a'), values.acme);
  t.equal(await probe.secrets.read('globex', 'a'), values.globex);
  // ... the new key alone opens every secret, the old one none.
  const withNew = new SecretStore(kernel.database, new MasterKeyring(newKey), { publish: async () => '' });
  t.equal(await withNew.read('globex', 'vault_probe.a', 'test'), values.globex);
  const withOld = new SecretStore(kernel.database, new MasterKeyring(oldKey), { publish: async () => '' });
  await t.rejects(withOld.read('acme', 'vault_probe.a', 'test'), /wrapped by master key [0-9a-f]{16}, which this node does not hold/);

  const [event] = await kernel.database.platform.query<{ payload: { rewrapped: number; to: string } }>(
    "SELECT payload FROM event_outbox WHERE topic = 'secrets.master_key_rotated'",
  );
  t.match(event?.payload, { rewrapped: 3, to: keyFingerprint(newKey) }, 'the rotation is an event too');
});

t.test('a configured master key rotates through ITOPS_MASTER_KEY_PREVIOUS; a node with only the new key reads everything', async (t) => {
  const [first, second] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
  const probe = secretsProbePlugin();
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [probe.manifest], env: { ITOPS_MASTER_KEY: first } });
  await send(kernel, 'POST', '/api/v1/workspace/secrets/vault_probe.token', { headers: acmeAdmin.headers, body: { value: values.acme } });

  const output = await rotate({
    DATABASE_URL: kernel.database.url,
    ITOPS_DATA_DIR: kernel.config.dataDir,
    ITOPS_MASTER_KEY: second,
    ITOPS_MASTER_KEY_PREVIOUS: first,
  });
  t.match(output, /re-wrapped 1 data key from/);
  t.equal(
    await rotate({ DATABASE_URL: kernel.database.url, ITOPS_DATA_DIR: kernel.config.dataDir, ITOPS_MASTER_KEY: second }).then((o) => o.trim()),
    `re-wrapped 0 data keys under master key ${keyFingerprint(Buffer.from(second, 'base64'))}`,
    'running it again finds nothing left to move',
  );

  const next = secretsProbePlugin();
  await startTestKernel(t, { databaseUrl: kernel.database.url, plugins: [next.manifest], env: { ITOPS_MASTER_KEY: second } });
  t.equal(await next.secrets.read('acme', 'token'), values.acme, 'read with the new key alone');
  await t.rejects(probe.secrets.read('acme', 'token'), /ITOPS_MASTER_KEY_PREVIOUS/, 'a node still on the old key says which key it lacks');
});

t.test('production without ITOPS_MASTER_KEY refuses to start, saying why', async (t) => {
  await t.rejects(
    startTestKernel(t, { env: { NODE_ENV: 'production', ITOPS_JWT_SECRET: 'x'.repeat(40) } }),
    /ITOPS_MASTER_KEY is required when NODE_ENV=production/,
  );
  await t.rejects(startTestKernel(t, { env: { ITOPS_MASTER_KEY: 'too-short' } }), /ITOPS_MASTER_KEY/, 'a malformed key is refused too');
});
