/**
 * The API reference in a real browser: headless Chromium (Debian's `chromium` package, driven by
 * playwright-core). Skipped, saying why, where /usr/bin/chromium is not installed.
 */
import t from 'tap';
import { startTestKernel } from '../plugin-api/testing.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';
import { browserTestTimeoutMs, chromiumSkip as skip, openChromium, seriousViolations } from '../testing/chromium.ts';

t.setTimeout(browserTestTimeoutMs);

// One page for both themes: the page follows the reader's preference as it changes, so the dark
// theme is checked by switching it, not by a second server, browser and render of the whole reference.
t.test('the reference renders the live contract in Chromium, light and dark, offline and accessible', { skip }, async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin] });
  const origin = new URL(kernel.url).origin;
  const context = await openChromium(t, { colorScheme: 'light', viewport: { width: 1280, height: 900 } });

  // Nothing may leave this server: every other request is refused and recorded.
  const elsewhere: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    elsewhere.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));

  const response = await page.goto(`${kernel.url}/docs`);
  t.equal(response?.status(), 200);
  t.match(response?.headers()['content-type'], /^text\/html/);
  t.match(await page.title(), /API reference$/);
  t.match(await response?.text(), /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self';/, 'scripts only from here');

  // Operations of the plugin loaded at runtime are there, with their summaries and schemas.
  const summary = page.getByText('Scores numbers on the worker pool and records the result through a job.').first();
  await summary.waitFor({ timeout: 30_000 });
  t.ok(await summary.isVisible(), 'a plugin operation is rendered');
  t.ok(await page.getByText('/api/v1/example/scores').first().count(), 'its path is shown');
  t.ok(await page.locator('rapi-doc').getByRole('button', { name: /try/i }).first().count(), 'a try-it button is offered');

  // The scripts come from this server, cached for good.
  const scripts = await page.locator('script[src]').evaluateAll((nodes) => nodes.map((node) => (node as unknown as { src: string }).src));
  t.equal(scripts.length, 2);
  for (const src of scripts) {
    t.ok(src.startsWith(`${origin}/docs/assets/`), `${src} is served here`);
    const asset = await fetch(src);
    t.equal(asset.status, 200);
    t.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    t.match(asset.headers.get('content-type'), /^text\/javascript/);
  }
  const missing = await fetch(`${origin}/docs/assets/0000/rapidoc-min.js`);
  t.equal(missing.status, 404, 'an asset of another version is not found');
  t.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found');

  // axe-core, evaluated through the debugging protocol (the page's CSP forbids injected scripts).
  t.equal(await page.locator('rapi-doc').getAttribute('theme'), 'light');
  t.same(await seriousViolations(page), [], 'light: no serious or critical accessibility violation');
  await page.screenshot({ path: '/tmp/docs-page.png', fullPage: false });

  // The try-it panel calls this server and shows the answer.
  const hello = page.locator('[id="get-/api/v1/example/hello/-name-"]');
  await hello.scrollIntoViewIfNeeded();
  await hello.locator('input[data-pname="name"]').fill('Ada');
  const answered = page.waitForResponse((r) => r.url().startsWith(`${origin}/api/v1/example/hello/Ada`));
  await hello.getByRole('button', { name: /^try$/i }).click();
  t.equal((await answered).status(), 200, 'the try-it request reached this server');
  await hello
    .getByText(/greeting/)
    .first()
    .waitFor({ timeout: 15_000 });

  // The reader switches to a dark system theme: the reference follows, without a reload of the page.
  // RapiDoc announces the contract loaded again, then finishes rendering it. The listener is in place
  // before the theme changes.
  type Reference = {
    addEventListener(type: string, listener: () => void, options: { once: boolean }): void;
    updateComplete: Promise<boolean>;
    loadedAgain?: Promise<void>;
  };
  const reference = page.locator('rapi-doc');
  await reference.evaluate((element) => {
    const rapiDoc = element as unknown as Reference;
    rapiDoc.loadedAgain = new Promise<void>((resolve, reject) => {
      rapiDoc.addEventListener('spec-loaded', resolve, { once: true });
      setTimeout(() => reject(new Error('the reference was not rendered again for the new theme')), 20_000);
    });
  });
  await page.emulateMedia({ colorScheme: 'dark' });
  await reference.evaluate(async (element) => {
    await (element as unknown as Reference).loadedAgain;
    await (element as unknown as Reference).updateComplete;
  });
  t.equal(await page.locator('rapi-doc').getAttribute('theme'), 'dark');
  t.equal(await page.locator('rapi-doc').getAttribute('bg-color'), '#0d1117', 'the dark palette is applied');
  t.same(await seriousViolations(page), [], 'dark: no serious or critical accessibility violation');
  await page.screenshot({ path: '/tmp/docs-page-dark.png', fullPage: false });

  t.same(elsewhere, [], 'no request left this server');
  t.same(problems, [], 'no console error, no CSP violation');
});
