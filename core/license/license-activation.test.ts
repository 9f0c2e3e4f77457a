import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { routePlugin } from '../testing/inline-plugins.ts';
import { generateLicenseKeyPair } from './license-keys.ts';
import { issueLicense } from './license-token.ts';

const vendor = generateLicenseKeyPair();
// Production needs a master key for the secrets store (32 bytes, base64).
const production = { NODE_ENV: 'production', ITOPS_LICENSE_PUBLIC_KEYS: vendor.publicKey, ITOPS_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };
const plugins = () => [routePlugin('sla'), routePlugin('ticketing')];

t.test('activating a license loads its plugins at runtime; its expiry unloads them', async (t) => {
  const { kernel, admin, acmeAdmin } = await startWorld(t, { plugins: plugins(), env: production });
  t.equal((await call(kernel, 'GET', '/api/v1/sla')).status, 404, 'production without a license runs only the core');
  const before = await call(kernel, 'GET', '/api/v1/edition', { headers: admin.headers });
  t.equal(before.status, 200);
  t.match(before.json, {
    edition: 'core',
    development: false,
    plugins: [
      { id: 'sla', licensed: false, state: 'unlicensed' },
      { id: 'ticketing', licensed: false },
    ],
  });

  const license = await issueLicense(vendor.privateJwk, { customer: 'My Company', plugins: ['sla'], expiresAt: new Date(Date.now() + 4000) });
  const activated = await call(kernel, 'POST', '/api/v1/license/activate', { headers: admin.headers, body: { licenseKey: license } });
  t.equal(activated.status, 200);
  t.match(activated.json, { success: true, message: 'License activated', customer: 'My Company', plugins: ['sla'] });
  t.equal((await call(kernel, 'GET', '/api/v1/sla')).status, 200, 'the licensed plugin answers without a restart');
  t.equal((await call(kernel, 'GET', '/api/v1/ticketing')).status, 404, 'an unlicensed one stays off');
  const openapi = await call(kernel, 'GET', '/api/v1/openapi');
  t.ok(openapi.json.paths['/api/v1/sla'], 'the served contract has the new route');

  const edition = await call(kernel, 'GET', '/api/v1/edition', { headers: acmeAdmin.headers });
  t.match(edition.json, {
    customer: 'My Company',
    plugins: [
      { id: 'sla', licensed: true, state: 'loaded' },
      { id: 'ticketing', licensed: false },
    ],
  });

  await new Promise((resolve) => setTimeout(resolve, 4500));
  const expired = await call(kernel, 'GET', '/api/v1/sla');
  t.equal(expired.status, 404, 'the expired license unloaded the plugin');
  t.equal(expired.json.error.code, 'not_found');
});

t.test('forged, untrusted, expired and malformed licenses are refused and change nothing', async (t) => {
  const { kernel, admin, acmeAdmin } = await startWorld(t, { plugins: plugins(), env: production });
  const stranger = generateLicenseKeyPair();
  const good = await issueLicense(vendor.privateJwk, { customer: 'Real', plugins: ['sla'] });
  const [header, payload, signature] = good.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, plugins: ['sla', 'ticketing'] })).toString('base64url')}.${signature}`;
  const untrusted = await issueLicense(stranger.privateJwk, { customer: 'Pirate', plugins: ['sla', 'ticketing'] });
  const expired = await issueLicense(vendor.privateJwk, { customer: 'Old', plugins: ['sla'], expiresAt: new Date(Date.now() - 60_000) });
  for (const [name, licenseKey, reason] of [
    ['tampered', tampered, 'forged'],
    ['untrusted', untrusted, 'untrusted'],
    ['expired', expired, 'expired'],
    ['garbage', 'x'.repeat(40), 'malformed'],
  ]) {
    const refused = await call(kernel, 'POST', '/api/v1/license/activate', { headers: admin.headers, body: { licenseKey } });
    t.equal(refused.status, 422, `${name} license refused`);
    t.equal(refused.json.error.details.reason, reason);
  }
  t.equal((await call(kernel, 'GET', '/api/v1/sla')).status, 404, 'nothing was loaded');
  t.equal((await call(kernel, 'POST', '/api/v1/license/activate', { body: { licenseKey: good } })).status, 401);
  t.equal(
    (await call(kernel, 'POST', '/api/v1/license/activate', { headers: acmeAdmin.headers, body: { licenseKey: good } })).status,
    403,
    'workspace admins cannot activate',
  );
  t.equal((await call(kernel, 'POST', '/api/v1/license/activate', { headers: admin.headers, body: { licenseKey: 'short' } })).status, 400);
});

t.test('outside production a development license covers every plugin', async (t) => {
  const { kernel, admin } = await startWorld(t, { plugins: plugins() });
  t.equal((await call(kernel, 'GET', '/api/v1/ticketing')).status, 200);
  t.match((await call(kernel, 'GET', '/api/v1/edition', { headers: admin.headers })).json, { edition: 'development', development: true });
});

t.test('an activation on one node loads the plugin on the others', async (t) => {
  const { kernel, admin } = await startWorld(t, { plugins: plugins(), env: production });
  const { startTestKernel } = await import('../plugin-api/testing.ts');
  const other = await startTestKernel(t, {
    plugins: plugins(),
    databaseUrl: kernel.database.url,
    env: { ...production, ITOPS_JWT_SECRET: 'test-secret-that-is-at-least-32-characters-long' },
  });
  t.equal((await call(other, 'GET', '/api/v1/ticketing')).status, 404);
  const license = await issueLicense(vendor.privateJwk, { customer: 'Both nodes', plugins: ['ticketing'] });
  t.equal((await call(kernel, 'POST', '/api/v1/license/activate', { headers: admin.headers, body: { licenseKey: license } })).status, 200);
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    status = (await call(other, 'GET', '/api/v1/ticketing')).status;
  }
  t.equal(status, 200, 'the second node loaded the plugin too');
});
