import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { login } from '../testing/identity-fixtures.ts';
import { startNewInstallation } from './first-run.testkit.ts';

const form = (fields: Record<string, string>) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  raw: new URLSearchParams(fields).toString(),
});
const good = {
  email: 'ada@example.test',
  password: 'a long enough password',
  passwordConfirmation: 'a long enough password',
  workspaceId: 'acme',
  workspaceName: 'Acme',
};

t.test('a new development installation prints a one-time link that creates the platform admin and the first workspace', async (t) => {
  const { kernel, setupLink } = await startNewInstallation(t);
  const link = setupLink();
  t.match(link, new RegExp(`^${kernel.publicUrl()}/setup\\?token=[A-Za-z0-9_-]{43}$`), 'the log carries the link');
  const token = new URL(link as string).searchParams.get('token') as string;
  const stored = await kernel.database.platform.query<{ token_hash: string }>('SELECT token_hash FROM setup_token');
  t.equal(stored.length, 1);
  t.not(stored[0].token_hash, token, 'only a hash of the token is stored');

  const unknown = await call(kernel, 'GET', '/setup?token=not-the-token');
  t.equal(unknown.status, 404);
  t.match(unknown.text, /This setup link does not work/);
  t.equal((await call(kernel, 'GET', '/setup')).status, 404, 'no token, no form');

  const page = await call(kernel, 'GET', `/setup?token=${token}`);
  t.equal(page.status, 200);
  t.match(page.headers.get('content-type'), /^text\/html/);
  t.match(page.headers.get('content-security-policy'), /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; form-action 'self'/);
  t.notOk(/<script/i.test(page.text), 'no script at all');
  t.match(page.text, /<label for="email">Email/);

  const wrong = await call(kernel, 'POST', '/setup', form({ ...good, token, password: 'short', passwordConfirmation: 'short', workspaceId: 'Bad Id' }));
  t.equal(wrong.status, 400);
  t.match(wrong.text, /role="alert"/);
  t.match(wrong.text, /id="password"[^>]*aria-invalid="true"/);
  t.match(wrong.text, /id="workspaceId"[^>]*aria-invalid="true"/);
  t.match(wrong.text, /value="ada@example.test"/, 'what was typed is kept (but never the password)');
  t.notOk(wrong.text.includes('short"'), 'the password is not sent back');
  t.equal((await kernel.database.platform.query('SELECT 1 FROM app_user')).length, 0, 'nothing was created');

  const mismatch = await call(kernel, 'POST', '/setup', form({ ...good, token, passwordConfirmation: 'another long password' }));
  t.equal(mismatch.status, 400);
  t.match(mismatch.text, /The two passwords differ/);

  const done = await call(kernel, 'POST', '/setup', form({ ...good, token }));
  t.equal(done.status, 200);
  t.match(done.text, /itops is set up/);

  const ada = await login(kernel, good.email, good.password);
  const me = await call(kernel, 'GET', '/api/v1/auth/me', { headers: ada.headers });
  t.match(
    me.json,
    { kind: 'user', platformAdmin: true, memberships: [{ tenantId: 'acme', role: 'msp_admin' }] },
    'platform admin and msp_admin of the workspace',
  );
  const tenants = await call(kernel, 'GET', '/api/v1/tenants', { headers: ada.headers });
  t.match(tenants.json.tenants, [{ tenant_id: 'acme', name: 'Acme', plan: 'free', contact_email: good.email }]);
  const secret = await call(kernel, 'POST', '/api/v1/workspace/secrets/first.key', {
    headers: { ...ada.headers, 'idempotency-key': 'first-secret' },
    body: { value: 'usable at once' },
  });
  t.equal(secret.status, 201, 'the installation is usable without a second account');

  const again = await call(kernel, 'POST', '/setup', form({ ...good, token, email: 'eve@example.test', workspaceId: 'evil' }));
  t.equal(again.status, 409, 'the link does not work twice');
  t.equal((await call(kernel, 'GET', `/setup?token=${token}`)).status, 409);
  t.equal((await kernel.database.platform.query('SELECT 1 FROM app_user')).length, 1, 'still one user');
});

t.test('production never prints a setup link', async (t) => {
  const { kernel, lines, setupLink } = await startNewInstallation(t, {
    NODE_ENV: 'production',
    ITOPS_JWT_SECRET: 'x'.repeat(40),
    ITOPS_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
  });
  t.equal(setupLink(), undefined);
  t.notOk(
    lines.some((line) => line.includes('/setup?token=')),
    'no token anywhere in the log',
  );
  t.equal((await kernel.database.platform.query('SELECT 1 FROM setup_token')).length, 0, 'no token exists');
  t.equal((await call(kernel, 'GET', '/setup?token=guess')).status, 404);
});

t.test('ITOPS_ADMIN_EMAIL and ITOPS_ADMIN_PASSWORD still create the first admin, and no link is printed', async (t) => {
  const { kernel, setupLink } = await startNewInstallation(t, { ITOPS_ADMIN_EMAIL: 'ops@example.test', ITOPS_ADMIN_PASSWORD: 'automation password 1' });
  t.equal(setupLink(), undefined);
  const admin = await login(kernel, 'ops@example.test', 'automation password 1');
  t.equal((await call(kernel, 'GET', '/api/v1/auth/me', { headers: admin.headers })).json.platformAdmin, true);
  t.equal((await call(kernel, 'GET', '/setup?token=anything')).status, 409, 'the page is closed');
});

t.test('two submissions at once create one admin', async (t) => {
  const { kernel, setupLink } = await startNewInstallation(t);
  const token = new URL(setupLink() as string).searchParams.get('token') as string;
  const answers = await Promise.all([
    call(kernel, 'POST', '/setup', form({ ...good, token })),
    call(kernel, 'POST', '/setup', form({ ...good, token, email: 'bob@example.test', workspaceId: 'bobs' })),
  ]);
  t.same(answers.map((a) => a.status).sort(), [200, 409]);
  t.equal((await kernel.database.platform.query('SELECT 1 FROM app_user')).length, 1);
  t.equal((await kernel.database.platform.query('SELECT 1 FROM tenant')).length, 1);
});

t.test('a body the contract refuses gets the standard JSON error, which the contract documents', async (t) => {
  const { kernel } = await startNewInstallation(t);
  const tooLong = await call(kernel, 'POST', '/setup', form({ ...good, token: 'x', workspaceName: 'n'.repeat(201) }));
  t.equal(tooLong.status, 400);
  t.equal(tooLong.json.error.code, 'validation_failed');
  const document = (await call(kernel, 'GET', '/api/v1/openapi')).json;
  const answer = document.paths['/setup'].post.responses['400'];
  const resolved = answer.$ref ? document.components.responses[answer.$ref.split('/').pop()] : answer;
  t.ok(resolved.content['application/json'], 'documented beside the HTML page');
  t.ok(resolved.content['text/html']);
});
