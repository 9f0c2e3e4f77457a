/**
 * The status page in a real browser: headless Chromium (Debian's `chromium` package, driven by
 * playwright-core). Skipped, saying why, where /usr/bin/chromium is not installed.
 */
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { browserTestTimeoutMs, call, chromiumSkip as skip, openChromium } from '../../../core/plugin-api/testing.ts';
import { statusWorld } from './status-page.testkit.ts';

t.setTimeout(browserTestTimeoutMs);

/** axe-core's rules run in the page (evaluated over the DevTools protocol, so the page's CSP, which allows no other script, stays on). */
async function seriousViolations(page: import('playwright-core').Page) {
  const source = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> } }).axe;
    return axe.run();
  });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
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

  const context = await openChromium(t);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  const response = await page.goto(`${kernel.url}/status?workspace=acme`);
  t.equal(response?.status(), 200);

  // The page as a user (and a screen reader) finds it.
  t.equal(await page.title(), 'Acme Corporation status', 'titled by the workspace’s display name');
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Acme Corporation status');
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

t.test('staff posts on the page: an open incident, upcoming maintenance, a live update; accessible and legible', { skip }, async (t) => {
  const { kernel, acmeOps, heartbeat, ping, push, component, group, becomes } = await statusWorld(t);
  const hb = await heartbeat('nightly backup');
  await ping(`/ping/${hb.uuid}`);
  const core = await group({ name: 'Core services' });
  const backups = await component({ name: 'Backups', description: 'Nightly pg_dump', monitorType: 'heartbeat', monitorId: hb.id, groupId: core.id });
  await becomes(backups.id, 'operational');
  const serviceId = await push('galera', 'OPERATIONAL');
  await push('galera', 'DEGRADED');
  const database = await component({ name: 'Database', monitorType: 'sla_service', monitorId: serviceId, groupId: core.id });
  await becomes(database.id, 'degraded');
  await component({ name: 'Search', monitorType: 'container', monitorId: 'search-1' });
  const reports = await heartbeat('weekly report');
  await ping(`/ping/${reports.uuid}`);
  const paused = await component({ name: 'Weekly reports', monitorType: 'heartbeat', monitorId: reports.id });
  await call(kernel, 'POST', `/api/v1/heartbeats/${reports.id}/pause`, { headers: acmeOps.headers });
  await becomes(paused.id, 'paused');
  const hour = 3_600_000;
  const incident = await call(kernel, 'POST', '/api/v1/status/incidents', {
    headers: acmeOps.headers,
    body: {
      title: 'Slow database queries',
      status: 'investigating',
      message: 'Queries take several seconds; we are looking into it.',
      componentIds: [database.id],
    },
  });
  await call(kernel, 'POST', '/api/v1/status/maintenances', {
    headers: acmeOps.headers,
    body: {
      title: 'PostgreSQL upgrade',
      description: 'The database is read-only for about 20 minutes.',
      startsAt: new Date(Date.now() + 24 * hour).toISOString(),
      endsAt: new Date(Date.now() + 25 * hour).toISOString(),
      componentIds: [database.id],
    },
  });

  const context = await openChromium(t);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${kernel.url}/status?workspace=acme`);
  const post = page.locator(`[data-incident="${incident.json.id}"]`);
  t.equal(await post.getByRole('heading').textContent(), 'Slow database queries');
  t.equal(await post.locator('.state .label').textContent(), 'Investigating');
  t.match(await post.textContent(), /Affects: Database/);
  t.ok(await page.getByRole('heading', { name: 'PostgreSQL upgrade' }).isVisible(), 'the upcoming maintenance');
  t.equal(await page.locator('svg').first().isVisible(), true, 'icons are inline SVG');
  t.equal(await page.locator(`[data-component="${paused.id}"] .label`).textContent(), 'Paused', 'a paused monitor is paused, not maintenance');
  await page.getByText('Live: this page updates by itself.').waitFor({ timeout: 15_000 });

  await call(kernel, 'POST', `/api/v1/status/incidents/${incident.json.id}/updates`, {
    headers: acmeOps.headers,
    body: { status: 'identified', message: 'A missing index; adding it now.' },
  });
  await page.locator(`[data-incident="${incident.json.id}"][data-state="identified"]`).waitFor({ timeout: 15_000 });
  t.match(await post.locator('.updates li').first().textContent(), /Identified.*A missing index/, 'the update arrived live, newest first');
  t.match(await page.locator('#announcer').textContent(), /Slow database queries: Identified/);

  t.same(await seriousViolations(page), [], 'axe-core: no serious or critical violation (light)');
  const shot = path.join(await mkdtemp(path.join(os.tmpdir(), 'itops-status-shot-')), 'status-page.png');
  await page.screenshot({ path: shot, fullPage: true });
  await copyFile(shot, '/tmp/status-page.png');
  t.comment(`screenshot: ${shot} (and /tmp/status-page.png)`);

  await page.emulateMedia({ colorScheme: 'dark' });
  t.same(await seriousViolations(page), [], 'axe-core: no serious or critical violation (dark)');
  await page.screenshot({ path: '/tmp/status-page-dark.png', fullPage: true });
  t.same(problems, [], 'no script errors and no CSP violations');
});
