/**
 * The API reference in a real browser: headless Chromium (Debian's `chromium` package, driven by
 * playwright-core). Skipped, saying why, where /usr/bin/chromium is not installed.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import t from 'tap';
import { startTestKernel } from '../plugin-api/testing.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';
import { browserTestTimeoutMs, chromiumSkip as skip, openChromium } from '../testing/chromium.ts';

t.setTimeout(browserTestTimeoutMs);

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
}

for (const colorScheme of ['light', 'dark'] as const) {
  t.test(`the reference renders the live contract in Chromium (${colorScheme}), offline and accessible`, { skip }, async (t) => {
    const kernel = await startTestKernel(t, { plugins: [examplePlugin] });
    const origin = new URL(kernel.url).origin;
    const context = await openChromium(t, { colorScheme, viewport: { width: 1280, height: 900 } });

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

    // The theme follows the reader's preference.
    t.equal(await page.locator('rapi-doc').getAttribute('theme'), colorScheme);

    // axe-core, evaluated through the debugging protocol (the page's CSP forbids injected scripts).
    const require = createRequire(import.meta.url);
    await page.evaluate(await readFile(require.resolve('axe-core/axe.min.js'), 'utf8'));
    const axe = (await page.evaluate('axe.run(document, { resultTypes: ["violations"] })')) as AxeResult;
    const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    t.same(
      serious.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}× e.g. ${JSON.stringify(v.nodes[0]?.target)})`),
      [],
      'no serious or critical accessibility violation',
    );
    t.comment(`axe, minor and moderate: ${axe.violations.map((v) => `${v.impact} ${v.id} (${v.nodes.length})`).join(', ') || 'none'}`);

    if (colorScheme === 'light') await page.screenshot({ path: '/tmp/docs-page.png', fullPage: false });
    else await page.screenshot({ path: '/tmp/docs-page-dark.png', fullPage: false });

    if (colorScheme === 'light') {
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
    }

    t.same(elsewhere, [], 'no request left this server');
    t.same(problems, [], 'no console error, no CSP violation');
  });
}
