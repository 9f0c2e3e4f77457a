/**
 * The status page in a real browser: headless Chromium (Debian's `chromium` package, driven by
 * playwright-core). Skipped, saying why, where /usr/bin/chromium is not installed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import t from 'tap';
import { statusWorld } from './status-page.testkit.ts';

const executablePath = '/usr/bin/chromium';
const skip = existsSync(executablePath) ? false : `${executablePath} is absent: install it with \`apt-get install -y chromium\``;

async function openBrowser(t: { teardown(fn: () => unknown): void }) {
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.teardown(async () => {
    await context.close();
    await rm(userDataDir, { recursive: true, force: true });
  });
  return context;
}

t.test('the page renders in Chromium and a status change arrives live, without a reload', { skip }, async (t) => {
  const { kernel, heartbeat, ping, push, component, group, becomes } = await statusWorld(t);
  const hb = await heartbeat('nightly backup');
  await ping(`/ping/${hb.uuid}`);
  const core = await group({ name: 'Core services' });
  const backups = await component({ name: 'Backups', description: 'Nightly pg_dump', monitorType: 'heartbeat', monitorId: hb.id, groupId: core.id });
  await becomes(backups.id, 'operational');
  const serviceId = await push('galera', 'OPERATIONAL');
  await push('galera', 'DEGRADED');
  const database = await component({ name: 'Database', monitorType: 'sla_service', monitorId: serviceId });
  await becomes(database.id, 'degraded');

  const context = await openBrowser(t);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  const response = await page.goto(`${kernel.url}/status?workspace=acme`);
  t.equal(response?.status(), 200);

  // The page as a user (and a screen reader) finds it.
  t.equal(await page.title(), 'acme status');
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'acme status');
  t.equal(await page.getByRole('main').count(), 1, 'one main landmark');
  t.ok(await page.getByRole('heading', { name: 'Active incidents' }).isVisible());
  t.ok(await page.getByRole('heading', { name: 'Core services' }).isVisible(), 'groups are headings');
  const row = page.locator(`[data-component="${backups.id}"]`);
  t.equal(await row.locator('.name').textContent(), 'Backups');
  t.equal(await row.locator('.label').textContent(), 'Operational');
  t.equal(await row.locator('.bars i').count(), 90, '90 daily bars');
  t.equal(await page.locator(`[data-component="${database.id}"] .label`).textContent(), 'Degraded performance');
  t.equal(await page.locator('#overall .label').textContent(), 'Degraded performance');
  t.match(await page.locator('#incidents').textContent(), /Database Degraded performance since \d{4}-\d\d-\d\d \d\d:\d\d UTC/);

  // The inline script runs under the page's CSP: it connects and says so.
  await page.getByText('Live: this page updates by itself.').waitFor({ timeout: 15_000 });
  await page.evaluate(() => {
    (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
  });

  await ping(`/ping/${hb.uuid}/fail`);
  await page.locator(`[data-component="${backups.id}"][data-status="major_outage"]`).waitFor({ timeout: 15_000 });
  t.equal(await row.locator('.label').textContent(), 'Major outage', 'the component changed in place');
  t.equal(await row.locator('.since').isVisible(), true);
  t.equal(await page.locator('#overall .label').textContent(), 'Major outage', 'and the headline');
  t.equal(await row.locator('.bars i').last().getAttribute('class'), 'x', 'and today’s bar');
  t.match(await page.locator('#incidents').textContent(), /Backups Major outage since/, 'an active incident');
  t.match(await page.locator('#announcer').textContent(), /Backups: Major outage/, 'announced to screen readers');
  t.equal(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded), true, 'no reload');

  await push('galera', 'OPERATIONAL');
  await page.locator(`[data-component="${database.id}"][data-status="operational"]`).waitFor({ timeout: 15_000 });
  t.notMatch(await page.locator('#incidents').textContent(), /Database/, 'a resolved incident leaves the list');

  await component({ name: 'Search', monitorType: 'container', monitorId: 'search-1' });
  await page.locator('#notice').waitFor({ state: 'visible', timeout: 15_000 });
  t.match(await page.locator('#notice').textContent(), /Reload the page/, 'a changed page is offered as a reload');
  t.same(problems, [], 'no script errors and no CSP violations');
});
