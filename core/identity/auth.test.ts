import { SignJWT } from 'jose';
import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { adminEmail, adminPassword, jwtSecret, login, startWorld } from '../testing/identity-fixtures.ts';
import { startEarlyInMinute } from '../testing/rate-window.ts';

const graphql = (url: string, query: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) }).then(
    (r) => r.json() as Promise<any>,
  );

t.test('providers are public', async (t) => {
  const { kernel } = await startWorld(t);
  const providers = await call(kernel, 'GET', '/api/v1/auth/providers');
  t.equal(providers.status, 200);
  t.same(
    providers.json.providers.map((p: any) => p.id),
    ['local'],
  );
});

t.test('login over REST and GraphQL, exactly as the seed documents it', async (t) => {
  const { kernel } = await startWorld(t);
  const rest = await call(kernel, 'POST', '/api/v1/auth/login', { body: { email: adminEmail, password: adminPassword } });
  t.equal(rest.status, 200);
  t.match(rest.json, { token: /^ey/, refreshToken: String, expiresIn: 3600, user: { email: adminEmail } });

  const gql = await graphql(kernel.url, `mutation { login(email: "${adminEmail}", password: "${adminPassword}") { token refreshToken user { id email } } }`);
  t.match(gql.data.login, { token: /^ey/, refreshToken: String, user: { id: rest.json.user.id, email: adminEmail } });
  const me = await call(kernel, 'GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${gql.data.login.token}` } });
  t.equal(me.status, 200);
  t.match(me.json, { kind: 'user', id: rest.json.user.id, platformAdmin: true });

  const wrong = await call(kernel, 'POST', '/api/v1/auth/login', { body: { email: adminEmail, password: 'nope' } });
  t.equal(wrong.status, 401);
  t.equal(wrong.json.error.message, 'Invalid email or password');
  const unknown = await call(kernel, 'POST', '/api/v1/auth/login', { body: { email: 'ghost@nowhere.test', password: 'nope' } });
  t.equal(unknown.status, 401);
  t.equal(unknown.json.error.message, wrong.json.error.message, 'unknown and wrong look the same');
  const bad = await call(kernel, 'POST', '/api/v1/auth/login', { body: { email: 'not-an-email', password: '' } });
  t.equal(bad.status, 400);
  const gqlWrong = await graphql(kernel.url, `mutation { login(email: "${adminEmail}", password: "x") { token } }`);
  t.equal(gqlWrong.errors[0].extensions.code, 'unauthorized');
});

t.test('refresh tokens rotate, and reuse revokes the whole family', async (t) => {
  const { kernel } = await startWorld(t);
  const session = await login(kernel, adminEmail, adminPassword);
  const first = await call(kernel, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
  t.equal(first.status, 200);
  t.not(first.json.refreshToken, session.refreshToken, 'a new refresh token');
  t.equal((await call(kernel, 'GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${first.json.token}` } })).status, 200);

  const replay = await call(kernel, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
  t.equal(replay.status, 401, 'a rotated token is refused');
  const successor = await call(kernel, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: first.json.refreshToken } });
  t.equal(successor.status, 401, 'its successor was revoked with the family');

  const other = await login(kernel, adminEmail, adminPassword);
  t.equal((await call(kernel, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: other.refreshToken } })).status, 200, 'other logins are untouched');

  const gql = await graphql(kernel.url, 'mutation { refreshToken(refreshToken: "not-a-real-refresh-token-at-all") { token } }');
  t.equal(gql.errors[0].extensions.code, 'unauthorized');
});

t.test('concurrent refreshes of one token: exactly one succeeds', async (t) => {
  const { kernel } = await startWorld(t);
  const session = await login(kernel, adminEmail, adminPassword);
  const results = await Promise.all(
    Array.from({ length: 10 }, () => call(kernel, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })),
  );
  t.equal(results.filter((r) => r.status === 200).length, 1);
});

t.test('logout revokes the refresh token', async (t) => {
  const { kernel } = await startWorld(t);
  const session = await login(kernel, adminEmail, adminPassword);
  t.equal((await call(kernel, 'POST', '/api/v1/auth/logout', { body: { refreshToken: session.refreshToken } })).status, 204);
  t.equal((await call(kernel, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })).status, 401);
  const gql = await graphql(kernel.url, `mutation { logout(refreshToken: "${session.refreshToken}") }`);
  t.same(gql.data, { logout: true });
});

t.test('expired, forged, alg:none, tampered and wrong-secret tokens are refused', async (t) => {
  const { kernel, admin } = await startWorld(t);
  const key = new TextEncoder().encode(jwtSecret);
  const base = () => new SignJWT({ email: adminEmail, typ: 'access' }).setSubject(admin.id).setIssuer('itops');
  const expired = await base().setProtectedHeader({ alg: 'HS256' }).setIssuedAt(1_700_000_000).setExpirationTime(1_700_000_060).sign(key);
  const wrongSecret = await base()
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode('another-secret-of-at-least-32-characters!!'));
  const hs512 = await base().setProtectedHeader({ alg: 'HS512' }).setIssuedAt().setExpirationTime('1h').sign(key);
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: admin.id, email: adminEmail, typ: 'access', iss: 'itops', exp: 9_999_999_999 })}.`;
  const [header, , signature] = admin.token.split('.');
  const tampered = `${header}.${b64({ sub: '00000000-0000-0000-0000-000000000000', email: 'x@y.z', typ: 'access', iss: 'itops', exp: 9_999_999_999 })}.${signature}`;
  for (const [name, token] of Object.entries({ expired, wrongSecret, hs512, none, tampered })) {
    const response = await call(kernel, 'GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${token}` } });
    t.equal(response.status, 401, `${name} token refused`);
    t.equal(response.json.error.code, 'unauthorized');
  }
  const expiredMessage = await call(kernel, 'GET', '/api/v1/auth/me', { headers: { authorization: `Bearer ${expired}` } });
  t.match(expiredMessage.json.error.message, /expired/);
  t.equal((await call(kernel, 'GET', '/api/v1/auth/me', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } })).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/auth/me')).status, 401);
});

t.test('login is rate limited per account', async (t) => {
  const { kernel } = await startWorld(t);
  // Twelve password checks on a loaded machine take seconds: they start early in a minute.
  await startEarlyInMinute(20_000);
  const attempts = [];
  for (let i = 0; i < 12; i++) attempts.push(await call(kernel, 'POST', '/api/v1/auth/login', { body: { email: 'victim@acme.test', password: `guess-${i}` } }));
  t.same(
    attempts.slice(0, 10).map((r) => r.status),
    Array(10).fill(401),
  );
  const limited = attempts[10];
  t.equal(limited.status, 429);
  t.equal(limited.json.error.code, 'rate_limited');
  t.ok(Number(limited.headers.get('retry-after')) >= 1, 'Retry-After says when to come back');
});
