import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { Database } from '../db/database.ts';
import { cloneTestDatabase } from '../testing/test-database.ts';
import { generateLicenseKeyPair, readPrivateJwk } from './license-keys.ts';
import { devKeyFileName, LicenseService, type LicenseServiceDeps } from './license-service.ts';
import { issueLicense, LicenseError, type LicenseInfo } from './license-token.ts';

const vendor = generateLicenseKeyPair();
const retired = generateLicenseKeyPair();

const testDb = await cloneTestDatabase();
const logLines: { level: number; msg: string; [key: string]: unknown }[] = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
// The real Database.query (`?` placeholders): the kernel passes exactly this.
const database = new Database(testDb.url, 2, pino({ level: 'silent' }));
t.teardown(async () => {
  await database.close();
  await testDb.drop();
});

const services: LicenseService[] = [];
t.afterEach(() => {
  for (const service of services.splice(0)) service.close();
});

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'itops-license-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function create(options: Partial<LicenseServiceDeps['config']> & { dataDir: string }): Promise<LicenseService> {
  const service = await LicenseService.create({
    config: { env: 'test', licensePublicKeys: [vendor.publicKey], ...options },
    query: (sql, params) => database.query(sql, params),
    logger,
    pluginIds: () => ['sla', 'ticketing', 'audit'],
  });
  services.push(service);
  return service;
}

async function clearPersisted(): Promise<void> {
  await database.query('DELETE FROM license');
}

const warnings = () => logLines.filter((l) => l.level === 40).map((l) => l.msg);

t.test('an activated license is persisted and survives a new create()', async (t) => {
  await clearPersisted();
  const dataDir = await tempDir(t);
  const first = await create({ env: 'production', dataDir });
  t.equal(first.current(), undefined, 'production starts without a license');
  const heard: (LicenseInfo | undefined)[] = [];
  first.onChange(async (info) => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    heard.push(info);
  });

  const expiresAt = new Date(Date.now() + 90 * 86400_000);
  const token = await issueLicense(vendor.privateJwk, { customer: 'ACME', plugins: ['sla', 'ticketing'], expiresAt });
  const info = await first.activate(token);
  t.match(info, { customer: 'ACME', plugins: ['sla', 'ticketing'], edition: 'enterprise', development: false });
  t.equal(heard.length, 1, 'activate waited for the listener');
  t.equal(heard[0]?.customer, 'ACME');
  t.ok(first.allows('sla'));
  t.notOk(first.allows('audit'));

  const rows = await database.query<{ id: number; token: string; customer: string; plugins: string[]; expires_at: string | Date; activated_at: string | Date }>(
    'SELECT * FROM license',
  );
  t.equal(rows.length, 1);
  t.match(rows[0], { id: 1, token, customer: 'ACME', plugins: ['sla', 'ticketing'] });
  t.equal(new Date(rows[0].expires_at).getTime(), Math.floor(expiresAt.getTime() / 1000) * 1000);

  const refused = await first.activate(await issueLicense(retired.privateJwk, { customer: 'Mallory', plugins: ['*'] })).catch((e) => e);
  t.ok(refused instanceof LicenseError && refused.reason === 'untrusted', 'an untrusted license is refused');
  t.equal(first.current()?.customer, 'ACME', 'and changes nothing');
  t.equal(heard.length, 1);

  const second = await create({ env: 'production', dataDir });
  t.match(second.current(), { customer: 'ACME', plugins: ['sla', 'ticketing'] });
  t.equal(second.source(), 'database');
  t.ok(second.allows('ticketing'));
  t.notOk(second.allows('audit'));

  const wildcard = await issueLicense(vendor.privateJwk, { customer: 'ACME', plugins: ['*'] });
  await second.activate(wildcard);
  const [{ count }] = await database.query<{ count: string }>('SELECT count(*) FROM license');
  t.equal(Number(count), 1, 'activation replaces the single row');
  const third = await create({ env: 'production', dataDir });
  t.ok(third.allows('anything-at-all'), '"*" allows every plugin');
  t.equal(third.current()?.expiresAt, undefined);
});

t.test('another node picks up an activation with reload()', async (t) => {
  await clearPersisted();
  const dataDir = await tempDir(t);
  const nodeA = await create({ env: 'production', dataDir });
  const nodeB = await create({ env: 'production', dataDir });
  const heard: (LicenseInfo | undefined)[] = [];
  nodeB.onChange(async (info) => void heard.push(info));
  await nodeA.activate(await issueLicense(vendor.privateJwk, { customer: 'ACME', plugins: ['audit'] }));
  t.notOk(nodeB.allows('audit'));
  t.match(await nodeB.reload(), { customer: 'ACME' });
  t.ok(nodeB.allows('audit'));
  t.equal(heard.length, 1);
  await nodeB.reload();
  t.equal(heard.length, 1, 'an unchanged license notifies nobody');
});

t.test('outside production a development license is issued; in production never', async (t) => {
  await clearPersisted();
  const dataDir = await tempDir(t);
  logLines.length = 0;
  const dev = await create({ env: 'development', dataDir, licensePublicKeys: [] });
  t.match(dev.current(), { customer: 'Local development', plugins: ['sla', 'ticketing', 'audit'], development: true, edition: 'development' });
  t.equal(dev.source(), 'development');
  t.ok(dev.allows('audit'));
  t.notOk(dev.allows('not-installed'));
  t.ok(warnings().includes('development license issued for all plugins; never used when NODE_ENV=production'));
  const keyFile = path.join(dataDir, devKeyFileName);
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'the development key is private');
  const keyId = dev.current()?.keyId;
  const again = await create({ env: 'test', dataDir, licensePublicKeys: [] });
  t.equal(again.current()?.keyId, keyId, 'the development key is generated once and reused');
  t.equal((await database.query('SELECT * FROM license')).length, 0, 'the development license is not persisted');

  const sharedDir = await tempDir(t);
  const [nodeA, nodeB] = await Promise.all([create({ env: 'development', dataDir: sharedDir }), create({ env: 'development', dataDir: sharedDir })]);
  t.equal(nodeA.current()?.keyId, nodeB.current()?.keyId, 'two nodes starting at once on one data directory share one key');
  t.same(readdirSync(sharedDir), [devKeyFileName], 'and leave no scratch files');
  writeFileSync(path.join(sharedDir, devKeyFileName), 'not json');
  const recovered = await create({ env: 'development', dataDir: sharedDir });
  t.equal(recovered.current()?.development, true, 'a damaged key file is replaced');
  t.not(recovered.current()?.keyId, nodeA.current()?.keyId);

  const prodDir = await tempDir(t);
  logLines.length = 0;
  const prod = await create({ env: 'production', dataDir: prodDir });
  t.equal(prod.current(), undefined);
  t.equal(prod.source(), undefined);
  for (const id of ['sla', 'ticketing', 'audit']) t.notOk(prod.allows(id), `${id} is off in production without a license`);
  t.notOk(existsSync(path.join(prodDir, devKeyFileName)), 'no development key in production');
  t.notOk(warnings().some((m) => m.includes('development license')));

  // Even with a development key lying around, production does not trust it.
  const devSigned = await issueLicense(await readPrivateJwk(keyFile), { customer: 'Local development', plugins: ['*'], development: true });
  const inProduction = await create({ env: 'production', dataDir });
  const error = await inProduction.activate(devSigned).catch((e) => e);
  t.equal(error.reason, 'untrusted');
  t.equal(inProduction.current(), undefined);
});

t.test('a persisted license that no longer verifies is ignored with a warning', async (t) => {
  await clearPersisted();
  const dataDir = await tempDir(t);
  const oldVendor = await create({ env: 'production', dataDir, licensePublicKeys: [retired.publicKey] });
  await oldVendor.activate(await issueLicense(retired.privateJwk, { customer: 'ACME', plugins: ['sla'] }));
  logLines.length = 0;
  const prod = await create({ env: 'production', dataDir });
  t.equal(prod.current(), undefined, 'production runs without a license');
  t.match(warnings().join('\n'), /activated license is no longer valid and is ignored: .*not among the trusted/);
  const dev = await create({ env: 'development', dataDir });
  t.equal(dev.current()?.development, true, 'outside production the development license takes over');
});

t.test('at expiry the license turns off and listeners hear it', async (t) => {
  await clearPersisted();
  const dataDir = await tempDir(t);
  const service = await create({ env: 'production', dataDir });
  const token = await issueLicense(vendor.privateJwk, { customer: 'ACME', plugins: ['sla'], expiresAt: new Date(Date.now() + 2000) });
  const expired = new Promise<LicenseInfo | undefined>((resolve) => {
    service.onChange(async (info) => {
      if (!info) resolve(info);
    });
  });
  const info = await service.activate(token);
  t.ok(service.allows('sla'));
  // A second node that never gets its timer: allows() still checks the date.
  const timerless = await create({ env: 'production', dataDir });
  t.ok(timerless.allows('sla'));
  timerless.close();

  const started = Date.now();
  const outcome = await Promise.race([expired.then(() => 'expired'), new Promise((resolve) => setTimeout(() => resolve('timeout'), 5000))]);
  t.equal(outcome, 'expired', 'listeners were told the license is gone');
  t.ok(Date.now() >= (info.expiresAt as Date).getTime() - 5, `not before the expiry (waited ${Date.now() - started} ms)`);
  t.notOk(service.allows('sla'));
  t.equal(service.current(), undefined);
  t.notOk(timerless.allows('sla'), 'allows() is false after expiry even without the timer');
  t.equal(timerless.current(), undefined);
  t.equal((await database.query('SELECT * FROM license')).length, 1, 'expiry deletes nothing');
  t.ok(warnings().some((m) => /license expired at/.test(m)));
});

t.test('ITOPS_LICENSE_KEY is verified at boot and an invalid one fails it', async (t) => {
  await clearPersisted();
  const dataDir = await tempDir(t);
  await t.rejects(create({ env: 'production', dataDir, licenseKey: 'definitely-not-a-license-token' }), {
    name: 'LicenseError',
    reason: 'malformed',
    message: /^ITOPS_LICENSE_KEY is not a valid license: /,
  });
  const foreign = await issueLicense(retired.privateJwk, { customer: 'ACME', plugins: ['sla'] });
  await t.rejects(create({ env: 'development', dataDir, licenseKey: foreign }), { reason: 'untrusted', message: /ITOPS_LICENSE_KEY is not a valid license/ });

  const expired = await issueLicense(vendor.privateJwk, { customer: 'ACME', plugins: ['sla'], expiresAt: new Date('2020-01-01T00:00:00Z') });
  await t.rejects(create({ env: 'production', dataDir, licenseKey: expired }), { reason: 'expired', message: /expired at 2020-01-01T00:00:00.000Z/ });

  // A valid key wins over the activated one.
  const persisted = await create({ env: 'production', dataDir });
  await persisted.activate(await issueLicense(vendor.privateJwk, { customer: 'Persisted', plugins: ['audit'] }));
  const configured = await create({
    env: 'production',
    dataDir,
    licenseKey: await issueLicense(vendor.privateJwk, { customer: 'Configured', plugins: ['sla'] }),
  });
  t.match(configured.current(), { customer: 'Configured' });
  t.equal(configured.source(), 'config');
  t.ok(configured.allows('sla'));
  t.notOk(configured.allows('audit'));
});

t.test('a malformed ITOPS_LICENSE_PUBLIC_KEYS entry fails boot naming it', async (t) => {
  const dataDir = await tempDir(t);
  await t.rejects(create({ env: 'production', dataDir, licensePublicKeys: [vendor.publicKey, 'too-short'] }), {
    message: /ITOPS_LICENSE_PUBLIC_KEYS: license public key "too-short" is invalid: key must encode 32 bytes/,
  });
});
