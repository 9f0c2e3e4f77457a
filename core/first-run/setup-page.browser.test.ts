/**
 * The first run in a real browser: headless Chromium (Debian's `chromium`, driven by playwright-core)
 * opens the printed link, meets a mistake, corrects it and ends signed up. Skipped, saying why,
 * where /usr/bin/chromium is not installed.
 */
import t from 'tap';
import { browserTestTimeoutMs, chromiumSkip as skip, openChromium, seriousViolations } from '../testing/chromium.ts';
import { login } from '../testing/identity-fixtures.ts';
import { call } from '../testing/test-kernel.ts';
import { startNewInstallation } from './first-run.testkit.ts';

t.setTimeout(browserTestTimeoutMs);

for (const colorScheme of ['light', 'dark'] as const) {
  t.test(`the first-run page works in Chromium (${colorScheme}), offline, without scripts, accessibly`, { skip }, async (t) => {
    const { kernel, setupLink } = await startNewInstallation(t);
    const link = setupLink() as string;
    t.ok(link, 'the server printed a link');
    const origin = new URL(kernel.url).origin;
    const context = await openChromium(t, { colorScheme, viewport: { width: 1000, height: 1100 } });
    const elsewhere: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`)) return route.continue();
      elsewhere.push(url);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      // The 400 and 409 answers are pages the test asks for; Chromium reports any 4xx document as a load error.
      if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 40[09]/.test(message.text()))
        problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    // The link names localhost; the test server listens on 127.0.0.1.
    const response = await page.goto(`${kernel.url}${new URL(link).pathname}${new URL(link).search}`);
    t.equal(response?.status(), 200);
    t.equal(await page.title(), 'Set up itops · itops');
    t.same(await seriousViolations(page), [], 'the form: no serious or critical accessibility violation');

    // A mistake: the page comes back saying what is wrong, next to the field, and keeps what was typed.
    await page.getByLabel('Email').fill('ada@example.test');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Password again').fill('short');
    await page.getByLabel('Workspace name').fill('Acme');
    await page.getByLabel('Workspace id').fill('acme');
    await page.getByRole('button', { name: 'Create administrator and workspace' }).click();
    await page.getByRole('alert').waitFor();
    t.match(await page.getByRole('alert').innerText(), /Password: Use at least 12 characters/);
    t.equal(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true');
    t.equal(await page.getByLabel('Email').inputValue(), 'ada@example.test', 'the email is kept');
    t.same(await seriousViolations(page), [], 'the form with its problems: no serious or critical accessibility violation');
    await page.screenshot({ path: `/tmp/first-run-problems-${colorScheme}.png`, fullPage: true });

    await page.getByLabel('Password', { exact: true }).fill('a long enough password');
    await page.getByLabel('Password again').fill('a long enough password');
    await page.getByRole('button', { name: 'Create administrator and workspace' }).click();
    await page.getByRole('heading', { name: 'itops is set up' }).waitFor();
    t.match(await page.getByRole('status').innerText(), /ada@example\.test is the platform administrator and the administrator of the workspace acme/);
    t.same(await seriousViolations(page), [], 'the outcome: no serious or critical accessibility violation');
    await page.screenshot({ path: `/tmp/first-run-done-${colorScheme}.png`, fullPage: true });

    const ada = await login(kernel, 'ada@example.test', 'a long enough password');
    t.match((await call(kernel, 'GET', '/api/v1/auth/me', { headers: ada.headers })).json.memberships, [{ tenantId: 'acme', role: 'msp_admin' }]);

    // Back to the link: it is spent.
    const reused = await page.goto(`${kernel.url}${new URL(link).pathname}${new URL(link).search}`);
    t.equal(reused?.status(), 409);
    t.same(elsewhere, [], 'no request left this server');
    t.same(problems, [], 'no console error, no CSP violation');
  });
}
