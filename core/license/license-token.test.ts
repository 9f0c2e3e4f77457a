import { SignJWT } from 'jose';
import t, { type Test } from 'tap';
import { generateLicenseKeyPair, licenseKeyId, parsePrivateJwk, privateKeyObject } from './license-keys.ts';
import { decodeLicense, issueLicense, LicenseError, type LicenseErrorReason, verifyLicense } from './license-token.ts';

const issuer = generateLicenseKeyPair();
const stranger = generateLicenseKeyPair();

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refused(t: Test, token: string, reason: LicenseErrorReason, message: RegExp, keys = [issuer.publicKey], now?: Date) {
  const error = await verifyLicense(token, keys, now).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(error instanceof LicenseError, 'throws a LicenseError');
  t.equal((error as LicenseError).reason, reason);
  t.match((error as LicenseError).message, message);
}

t.test('key formats: raw base64url public key, JWK private key, kid from the public key', async (t) => {
  t.equal(Buffer.from(issuer.publicKey, 'base64url').length, 32);
  t.match(issuer.privateJwk, { kty: 'OKP', crv: 'Ed25519', x: issuer.publicKey });
  t.equal(issuer.keyId.length, 16);
  t.equal(licenseKeyId(issuer.publicKey), issuer.keyId);
  t.not(stranger.keyId, issuer.keyId);
  t.throws(() => parsePrivateJwk({ ...issuer.privateJwk, x: stranger.publicKey }), /"x" is not the public key of "d"/);
  t.throws(() => parsePrivateJwk({ kty: 'RSA' }), /Ed25519 JWK/);
});

t.test('issue and verify round trip', async (t) => {
  const expiresAt = new Date(Date.now() + 30 * 86400_000);
  const token = await issueLicense(issuer.privateJwk, { customer: 'ACME', plugins: ['sla', 'ticketing'], expiresAt });
  const { header, claims } = decodeLicense(token);
  t.same(header, { alg: 'EdDSA', typ: 'itops-license+jwt', kid: issuer.keyId });
  t.match(claims, { iss: 'itops-license', sub: 'ACME', plugins: ['sla', 'ticketing'], edition: 'enterprise', iat: Number, jti: String });
  t.notOk('dev' in claims, 'no dev claim on a regular license');

  const info = await verifyLicense(token, [stranger.publicKey, issuer.publicKey]);
  t.same(
    { ...info, licenseId: undefined, issuedAt: undefined },
    {
      customer: 'ACME',
      plugins: ['sla', 'ticketing'],
      edition: 'enterprise',
      expiresAt: new Date(Math.floor(expiresAt.getTime() / 1000) * 1000),
      development: false,
      keyId: issuer.keyId,
      licenseId: undefined,
      issuedAt: undefined,
    },
  );

  const forever = await verifyLicense(await issueLicense(issuer.privateJwk, { customer: 'Dev', plugins: ['*'], development: true, edition: 'development' }), [
    issuer.publicKey,
  ]);
  t.match(forever, { customer: 'Dev', plugins: ['*'], edition: 'development', development: true });
  t.equal(forever.expiresAt, undefined, 'no expiry');
});

t.test('refuses a token whose payload was tampered with', async (t) => {
  const token = await issueLicense(issuer.privateJwk, { customer: 'ACME', plugins: ['sla'] });
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const tampered = [header, b64({ ...claims, plugins: ['*'] }), signature].join('.');
  await refused(t, tampered, 'forged', /signature does not match/);
  // A signature that is not even the right size is forged too, not a crash.
  await refused(t, [header, payload, 'AAAA'].join('.'), 'forged', /signature/);
});

t.test('refuses a token signed by a key that is not trusted', async (t) => {
  const token = await issueLicense(stranger.privateJwk, { customer: 'Mallory', plugins: ['*'] });
  await refused(t, token, 'untrusted', new RegExp(`signed by key ${stranger.keyId}, which is not among the trusted`));
  await refused(t, token, 'untrusted', /no license public key is trusted/, []);
  // Claiming a trusted kid while signing with another key: the signature check catches it.
  const [, payload] = token.split('.');
  const lying = await new SignJWT(JSON.parse(Buffer.from(payload, 'base64url').toString()))
    .setProtectedHeader({ alg: 'EdDSA', typ: 'itops-license+jwt', kid: issuer.keyId })
    .sign(privateKeyObject(stranger.privateJwk));
  await refused(t, lying, 'forged', /signature does not match/);
});

t.test('refuses an unsigned (alg none) token', async (t) => {
  const claims = { iss: 'itops-license', sub: 'ACME', plugins: ['*'], edition: 'enterprise', iat: Math.floor(Date.now() / 1000) };
  await refused(t, `${b64({ alg: 'none' })}.${b64(claims)}.`, 'unsupported_algorithm', /must be signed with EdDSA.*"none"/);
  await refused(t, `${b64({ alg: 'none', typ: 'itops-license+jwt', kid: issuer.keyId })}.${b64(claims)}.`, 'unsupported_algorithm', /"none"/);
});

t.test('refuses an HS256 token, even one keyed with the public key', async (t) => {
  const claims = { plugins: ['*'], edition: 'enterprise' };
  const hmac = (secret: Uint8Array) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'itops-license+jwt', kid: issuer.keyId })
      .setIssuer('itops-license')
      .setSubject('ACME')
      .setIssuedAt()
      .sign(secret);
  await refused(t, await hmac(new TextEncoder().encode('a-secret-that-is-at-least-32-bytes-long')), 'unsupported_algorithm', /"HS256"/);
  await refused(t, await hmac(Buffer.from(issuer.publicKey, 'base64url')), 'unsupported_algorithm', /"HS256"/);
});

t.test('refuses an expired license and names the expiry date', async (t) => {
  const expiresAt = new Date('2030-06-01T00:00:00Z');
  const token = await issueLicense(issuer.privateJwk, { customer: 'ACME', plugins: ['sla'], expiresAt });
  t.ok(await verifyLicense(token, [issuer.publicKey], new Date('2030-05-31T23:59:00Z')), 'valid before');
  await refused(t, token, 'expired', /license for "ACME" expired at 2030-06-01T00:00:00.000Z/, [issuer.publicKey], new Date('2030-06-01T00:00:01Z'));
});

t.test('refuses garbage and tokens that are not licenses', async (t) => {
  for (const garbage of ['', 'not a token', 'a.b.c', 'x'.repeat(100), '...', `${b64([1])}.${b64({})}.sig`]) {
    await refused(t, garbage, 'malformed', /license/);
  }
  await refused(t, null as unknown as string, 'malformed', /compact JWS/);
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', typ: 'itops-license+jwt', kid: issuer.keyId, ...header })
      .setIssuer('itops-license')
      .sign(privateKeyObject(issuer.privateJwk));
  await refused(t, await sign({ plugins: ['sla'] }), 'malformed', /claim "sub" is missing/);
  await refused(t, await sign({ sub: 'ACME' }), 'malformed', /claim "plugins" is missing/);
  await refused(t, await sign({ sub: 'ACME', plugins: 'sla' }), 'malformed', /"plugins" claim is not a list/);
  await refused(t, await sign({ sub: 'ACME', plugins: ['sla'] }, { typ: 'JWT' }), 'malformed', /not an itops license/);
  await refused(t, await sign({ sub: 'ACME', plugins: ['sla'] }, { kid: undefined }), 'malformed', /no key id/);
});
