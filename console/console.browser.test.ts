/**
 * The web console in a real browser (Debian's Chromium through playwright-core, headless): a new
 * installation's first run, sign-in, a heartbeat created and pinged by curl that shows up live, an
 * alert silenced, an SLA group's trend, an exclusion window started and stopped, a license activated
 * whose plugins' pages then appear, an endpoint's and a watched certificate's check history, a status
 * page incident, a failed webhook delivery replayed, a secret rotated and a channel deleted, and
 * axe-core on every page, light, dark, and dark on a phone-sized screen. Screenshots of every page
 * go to console/screenshots/. Skipped, saying why, where /usr/bin/chromium or curl is absent.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { generateLicenseKeyPair } from '../core/license/license-keys.ts';
import { issueLicense } from '../core/license/license-token.ts';
import { chromiumSkip, openChromium, seriousViolations } from '../core/testing/chromium.ts';
import { eventually } from '../core/testing/eventually.ts';
import { startReceiver } from '../core/testing/http-receiver.ts';
import { ensureConsoleBuilt } from './build.ts';
import { screenshot, startConsoleInstallation } from './console.testkit.ts';

const run = promisify(execFile);
// The heartbeat is pinged by curl, as the console's snippet and a cron job do.
const curlSkip = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'curl is not installed: the test pings the heartbeat with it, as a cron job would';
  }
})();
const skip = chromiumSkip || curlSkip;

/** POSTs `body` to `url` with curl and returns the HTTP status it got. */
async function curlPing(url: string, body: string): Promise<number> {
  const { stdout } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'content-type: text/plain', '--data-binary', body, url]);
  return Number(stdout);
}

// Some 100 axe-core runs and full-page screenshots take longer than the suite's default two minutes.
t.setTimeout(420_000);

t.test('a newcomer sets up itops and runs it from the console', { skip, timeout: 400_000 }, async (t) => {
  // Built by the test itself when missing or stale (about a second), so a fresh checkout needs no other step.
  await ensureConsoleBuilt();
  const vendor = generateLicenseKeyPair();
  const monitoringOnly = await issueLicense(vendor.privateJwk, { customer: 'Acme', plugins: ['containers'] });
  // The webhook receiver below is on this machine: the outbound guard lets 127.0.0.1 through, as an
  // operator's allowlist would for an internal host.
  const { kernel, setupLink } = await startConsoleInstallation(t, {
    ITOPS_LICENSE_KEY: monitoringOnly,
    ITOPS_LICENSE_PUBLIC_KEYS: vendor.publicKey,
    ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST: '127.0.0.1',
  });
  const origin = new URL(kernel.url).origin;
  const desktop = { width: 1280, height: 900 };
  const phone = { width: 390, height: 844 };
  const context = await openChromium(t, { viewport: desktop });
  const elsewhere: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`)) return route.continue();
    elsewhere.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  const problems: string[] = [];
  // 401 answers to a wrong password are what the test asks for, and a 400 while it sends a form the
  // API should refuse; any other error is a fault.
  let asked = /status of 401/;
  page.on('console', (message) => {
    if (message.type() === 'error' && !asked.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  // The browser's console names a failed load's status, not its address: kept here to say which.
  const failedLoads: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400) failedLoads.push(`${response.status()} ${response.request().method()} ${response.url()}`);
  });
  t.teardown(() => screenshot(page, 'last-state').catch(() => undefined));
  const accessible = async (name: string) => {
    t.same(await seriousViolations(page), [], `${name}: no serious or critical accessibility violation`);
    await screenshot(page, name);
  };
  // The page as it is, in the dark theme (the system's, which the console follows by default), and
  // dark on a phone-sized screen; back to a light desktop after.
  const everyWay = async (name: string) => {
    await accessible(name);
    await page.emulateMedia({ colorScheme: 'dark' });
    await accessible(`${name}-dark`);
    await page.setViewportSize(phone);
    await accessible(`${name}-phone-dark`);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize(desktop);
  };

  // Served at /: strict CSP, no-cache HTML, immutable hashed assets.
  const home = await page.goto(`${kernel.url}/`);
  t.equal(home?.status(), 200);
  t.match(home?.headers()['content-security-policy'], /script-src 'self'; style-src 'self'/);
  t.equal(home?.headers()['cache-control'], 'no-cache');
  await page.getByRole('heading', { name: 'Sign in to itops' }).waitFor();
  t.match(page.url(), /\/console\/dashboard$/);
  await everyWay('login');

  // First run: the link from the server's log, then the console's sign-in.
  const link = new URL(setupLink() as string);
  await page.goto(`${kernel.url}${link.pathname}${link.search}`);
  await page.getByLabel('Email').fill('ada@example.test');
  await page.getByLabel('Password', { exact: true }).fill('a long enough password');
  await page.getByLabel('Password again').fill('a long enough password');
  await page.getByLabel('Workspace name').fill('Acme');
  await page.getByLabel('Workspace id').fill('acme');
  await page.getByRole('button', { name: 'Create administrator and workspace' }).click();
  await page.getByRole('heading', { name: 'itops is set up' }).waitFor();

  await page.goto(`${kernel.url}/`);
  await page.getByLabel('Email').fill('ada@example.test');
  await page.getByLabel('Password').fill('wrong password!');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  await page.getByLabel('Password').fill('a long enough password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
  t.equal(await page.getByRole('combobox', { name: 'Workspace', exact: true }).inputValue(), 'acme');
  t.equal(await page.getByRole('link', { name: 'Tickets' }).count(), 0, 'ticketing is not licensed: no Tickets page');
  await accessible('dashboard');

  // A heartbeat, its snippets and a ping from outside the browser that shows up without a reload.
  await page.getByRole('link', { name: 'Heartbeats' }).click();
  await page.getByRole('heading', { name: 'Heartbeats', level: 1 }).waitFor();
  await page.getByLabel('Name').fill('nightly-backup');
  await page.getByLabel('On a cron schedule').check();
  await page.getByLabel('Cron expression').fill('30 2 * * *');
  await page.getByLabel('Time zone').fill('Europe/Paris');
  await page.getByRole('heading', { name: 'Next runs (Europe/Paris)' }).waitFor();
  t.equal(await page.locator('.cron-preview li').count(), 5, 'five next runs previewed');
  await accessible('heartbeat-new');
  await page.getByRole('button', { name: 'Create heartbeat' }).click();
  await page.getByRole('heading', { name: 'Heartbeat nightly-backup' }).waitFor();
  const pingUrl = await page.getByLabel('Ping URL').inputValue();
  t.match(pingUrl, /\/ping\/[0-9a-f-]{36}$/);
  t.match(await page.getByLabel('crontab line').inputValue(), /^30 2 \* \* \* itops run [0-9a-f-]{36} -- /);
  t.match(await page.getByLabel('curl').inputValue(), /^curl -fsS .*\/ping\//);
  t.match(await page.getByText('No ping received yet.').count(), 1);
  t.equal(await curlPing(pingUrl, 'backup finished: 42 files'), 200, 'a real HTTP ping, sent by curl');
  await page.getByText('backup finished: 42 files').waitFor({ timeout: 15_000 });
  t.equal(await page.locator('.page-header .badge').innerText(), 'up', 'the status turned up live');
  await accessible('heartbeat');
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.locator('.page-header .badge', { hasText: 'paused' }).waitFor();
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.locator('.page-header .badge', { hasText: 'new' }).waitFor();

  // A failing run raises an alert; the operator silences it.
  t.equal(await curlPing(`${pingUrl}/fail`, 'disk full'), 200, 'a failure ping, sent by curl');
  await page.getByText('disk full').waitFor({ timeout: 15_000 });
  await page.getByRole('link', { name: 'Alerts' }).click();
  await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
  const silence = page.getByRole('combobox', { name: /^Silence .*nightly-backup.* for$/ });
  await silence.waitFor({ timeout: 20_000 });
  await accessible('alerts');
  await silence.selectOption({ label: 'for 4 hours' });
  await page
    .getByRole('status')
    .filter({ hasText: /^Silenced/ })
    .waitFor();
  await page.getByRole('cell', { name: 'active' }).first().waitFor();
  t.equal(
    await page
      .getByRole('row', { name: /nightly-backup is down/ })
      .getByRole('cell', { name: 'yes', exact: true })
      .count(),
    1,
    'the alert shows as silenced',
  );
  t.equal(await silence.count(), 0, 'a silenced alert offers no second silence');
  await accessible('alerts-silenced');

  // … and takes it on: the table says who acknowledged it, and the button is gone.
  const acknowledge = page.getByRole('button', { name: /^Acknowledge .*nightly-backup/ });
  await acknowledge.click();
  await page
    .getByRole('status')
    .filter({ hasText: /^Acknowledged/ })
    .waitFor();
  await page
    .getByRole('row', { name: /nightly-backup is down/ })
    .getByRole('cell', { name: /^by / })
    .waitFor();
  t.equal(await acknowledge.count(), 0, 'an acknowledged alert offers no second acknowledgement');

  // Activating a license turns ticketing on: its page appears in the navigation, with its table.
  await page.getByRole('link', { name: 'License & edition' }).click();
  await page.getByRole('heading', { name: 'License & edition', level: 1 }).waitFor();
  await accessible('license');
  const full = await issueLicense(vendor.privateJwk, {
    customer: 'Acme',
    plugins: ['containers', 'ticketing', 'sla', 'aiops', 'audit', 'automation', 'portal'],
  });
  await page.getByLabel('License key').fill(full);
  await page.getByRole('button', { name: 'Activate' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^License activated for Acme/ })
    .waitFor();
  await page.getByRole('link', { name: 'Tickets' }).waitFor();
  await accessible('license-activated');

  // With ticketing on, an alert opens a ticket, which the plugin's page then lists.
  await page.getByRole('link', { name: 'Alerts', exact: true }).click();
  await page.getByRole('button', { name: 'Open ticket' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^Opened TCK-1 for “Heartbeat nightly-backup is down”/ })
    .waitFor();
  // A second click finds the ticket it opened instead of opening another.
  await page.getByRole('button', { name: 'Open ticket' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^“Heartbeat nightly-backup is down” is already on TCK-1/ })
    .waitFor();
  await page.getByRole('link', { name: 'Tickets', exact: true }).click();
  await page
    .getByRole('cell', { name: /nightly-backup/ })
    .first()
    .waitFor();

  // A service reports to the SLA plugin (as an agent would); the console lists it with its trend and incidents.
  const session = await fetch(`${kernel.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ada@example.test', password: 'a long enough password' }),
  }).then((r) => r.json() as Promise<{ token: string }>);
  for (const status of ['DOWN', 'OPERATIONAL']) {
    const reported = await fetch(`${kernel.url}/api/v1/health/report`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}`, 'x-workspace-id': 'acme' },
      body: JSON.stringify({ service: 'billing-api', nodeId: 'acme/prod/cluster1', status, slaGroup: 'gold' }),
    });
    t.equal(reported.status < 300, true, `health report ${status}: ${reported.status}`);
  }
  await page.getByRole('link', { name: 'Services', exact: true }).click();
  await page.getByRole('link', { name: 'billing-api' }).click();
  await page.getByRole('heading', { name: /^Service billing-api/, level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Incidents' }).waitFor();
  await page.waitForLoadState('networkidle');
  await accessible('sla-service');

  // The figures computed now (the job runs every five minutes), so the gold group's trend has a day to draw.
  await kernel.jobs.send('sla.snapshot', {});
  const figures = await eventually(async () => {
    const trend = await fetch(`${kernel.url}/api/v1/sla/trend?slaGroup=gold`, {
      headers: { authorization: `Bearer ${session.token}`, 'x-workspace-id': 'acme' },
    }).then((r) => r.json() as Promise<{ data?: unknown[] }>);
    return trend.data?.length ? true : undefined;
  });
  t.ok(figures, "the snapshot job computed the gold group's figures");
  await page.getByRole('link', { name: 'SLA groups', exact: true }).click();
  await page.getByRole('heading', { name: 'SLA groups', level: 1 }).waitFor();
  await page.getByRole('cell', { name: 'gold', exact: true }).waitFor();
  t.equal(await page.getByLabel('SLA group', { exact: true }).inputValue(), 'gold', 'the first group is charted');
  await page.locator('figcaption', { hasText: 'gold availability' }).waitFor();
  await accessible('sla-group-trend');

  // A maintenance window on billing-api, started and stopped from the console.
  await page.getByRole('link', { name: 'Exclusion windows', exact: true }).click();
  await page.getByRole('heading', { name: 'Exclusion windows', level: 1 }).waitFor();
  await page.getByLabel('Service', { exact: true }).selectOption({ label: 'billing-api (acme/prod/cluster1)' });
  await page.getByLabel('Reason').fill('database upgrade');
  await page.getByLabel('Expected end (your time, optional)').fill('2099-01-01T03:00');
  await page.getByRole('button', { name: 'Start window' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^Window on billing-api started/ })
    .waitFor();
  const maintenance = page.getByRole('row', { name: /database upgrade/ });
  await maintenance.getByText('active', { exact: true }).waitFor();
  await accessible('sla-exclusion-window-open');
  await page.getByRole('button', { name: 'Stop window on billing-api' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^Window on billing-api stopped/ })
    .waitFor();
  await maintenance.getByText('ended', { exact: true }).waitFor();
  t.equal(await page.getByRole('button', { name: 'Stop window on billing-api' }).count(), 0, 'a stopped window offers no second stop');

  // The status page editor: an address, a heartbeat as a component, the preview.
  await page.getByRole('link', { name: 'Status page', exact: true }).click();
  await page.getByRole('heading', { name: 'Status page', level: 1 }).waitFor();
  await page.getByLabel('Public name (slug)').fill('acme');
  await page.getByRole('button', { name: 'Save address' }).click();
  await page.getByRole('link', { name: 'Open the public page' }).waitFor();
  await page.getByLabel('Component name').fill('Nightly backup');
  await page.getByRole('button', { name: 'Add component' }).click();
  await page.locator('.status-preview li', { hasText: 'Nightly backup' }).waitFor();
  await accessible('status-page');

  // A plugin page's create form, built from the contract: a client, then a ticket the API refuses first.
  await page.getByRole('link', { name: 'Clients', exact: true }).click();
  await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
  await page.getByText('Nothing here yet: “New client” adds the first.').waitFor();
  await page.getByRole('button', { name: 'New client' }).click();
  const clientForm = page.getByRole('region', { name: 'New client' });
  await clientForm.getByLabel('Name (required)').fill('Globex Corporation');
  await clientForm.getByLabel('Email').fill('billing@globex.test');
  await clientForm.getByLabel('Tags').fill('enterprise, emea');
  t.same(await clientForm.getByLabel('Status').locator('option').allTextContents(), ['(not set)', 'active', 'inactive'], "a choice of the schema's values");
  await everyWay('portal-client-new');
  await clientForm.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('status').filter({ hasText: 'Created “Globex Corporation”.' }).waitFor();
  t.equal(await clientForm.count(), 0, 'the form closes once the client is created');
  // Its row leads to its own page: its fields, and an edit form that starts from them.
  await page.getByRole('region', { name: 'Clients', exact: true }).getByRole('link', { name: 'Globex Corporation', exact: true }).click();
  await page.getByRole('heading', { name: 'Globex Corporation', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Edit' }).click();
  const clientEdit = page.getByRole('region', { name: 'Edit “Globex Corporation”' });
  t.equal(await clientEdit.getByLabel('Email').inputValue(), 'billing@globex.test', 'the form starts from the record');
  t.equal(await clientEdit.getByLabel('Tags').inputValue(), 'enterprise, emea');
  // Someone else renames the client meanwhile: this edit is refused rather than laid over theirs.
  const clientId = new URL(page.url()).pathname.split('/').pop();
  const renamed = await fetch(`${kernel.url}/api/v1/clients/${clientId}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}`, 'x-workspace-id': 'acme', 'idempotency-key': 'rename-globex' },
    body: JSON.stringify({ name: 'Globex Corp.', version: 1 }),
  });
  t.equal(renamed.status, 200, 'renamed through the API');
  await clientEdit.getByLabel('Status').selectOption('inactive');
  asked = /status of (401|409)/;
  await clientEdit.getByRole('button', { name: 'Save' }).click();
  await clientEdit
    .getByRole('alert')
    .filter({ hasText: /changed since version 1/ })
    .waitFor();
  asked = /status of 401/;
  await page.getByRole('heading', { name: 'Globex Corp.', level: 1 }).waitFor();
  await accessible('portal-client-conflict');
  await clientEdit.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('region', { name: 'Edit “Globex Corp.”' }).getByLabel('Status').selectOption('inactive');
  await page.getByRole('button', { name: 'Save' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^Saved\.$/ })
    .waitFor();
  await page.locator('.record-fields .badge-inactive').waitFor();
  await everyWay('portal-client-record');
  await page.getByRole('link', { name: 'All clients' }).click();
  await page.getByRole('region', { name: 'Clients', exact: true }).getByRole('cell', { name: 'Globex Corp.', exact: true }).waitFor();
  await page.getByRole('link', { name: 'Tickets', exact: true }).click();
  await page.getByRole('button', { name: 'New ticket' }).click();
  const ticketForm = page.getByRole('region', { name: 'New ticket' });
  await ticketForm.getByLabel('Title (required)').fill('Printer on floor 3 jams');
  await ticketForm.getByLabel('Priority').selectOption('high');
  await ticketForm.getByLabel('Links (JSON)').fill('[{"type": "printer"}]');
  asked = /status of (401|400)/;
  await ticketForm.getByRole('button', { name: 'Create' }).click();
  const refused = ticketForm.getByRole('alert');
  await refused.waitFor();
  asked = /status of 401/;
  t.match(await refused.textContent(), /does not match the contract.*Links: /, "the API's refusal, by the field's name");
  await accessible('tickets-new-refused');
  await ticketForm.getByLabel('Links (JSON)').fill('');
  await ticketForm.getByRole('button', { name: 'Create' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^Created “TCK-\d+”\.$/ })
    .waitFor();
  const printerRow = page.getByRole('region', { name: 'Tickets', exact: true }).getByRole('row', { name: /Printer on floor 3 jams/ });
  await printerRow.waitFor();
  // Sorted by a column the list operation sorts by: ascending, then descending.
  const ticketTable = page.getByRole('region', { name: 'Tickets', exact: true });
  const titleHeading = ticketTable.getByRole('columnheader', { name: /^Title/ });
  await titleHeading.getByRole('button').click();
  await ticketTable.locator('th[aria-sort="ascending"]').waitFor();
  await ticketTable.locator('tbody tr').first().filter({ hasText: 'Heartbeat nightly-backup is down' }).waitFor();
  await titleHeading.getByRole('button').click();
  await ticketTable.locator('th[aria-sort="descending"]').waitFor();
  await ticketTable.locator('tbody tr').first().filter({ hasText: 'Printer on floor 3 jams' }).waitFor();
  // The list's filters, from its contract's query parameters: a choice of priorities, a search.
  const ticketFilters = page.getByRole('group', { name: 'Filter tickets' });
  await ticketFilters.getByLabel('Priority').selectOption('urgent');
  await printerRow.waitFor({ state: 'detached' });
  await ticketFilters.getByLabel('Priority').selectOption('');
  await ticketFilters.getByLabel('Search').fill('printer');
  await printerRow.waitFor();
  await page
    .getByRole('region', { name: 'Tickets', exact: true })
    .getByRole('row', { name: /nightly-backup/ })
    .waitFor({ state: 'detached' });
  await everyWay('tickets-filtered');
  // Its own page: a comment (the ticket's declared action, a form from the contract) joins its timeline.
  await printerRow.getByRole('link', { name: /^TCK-\d+$/ }).click();
  await page.getByRole('heading', { name: /^TCK-\d+: Printer on floor 3 jams$/, level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Add comment' }).click();
  const commentForm = page.getByRole('region', { name: 'Add comment' });
  await commentForm.getByLabel('Body (required)').fill('Paper tray replaced; watching it.');
  await commentForm.getByRole('button', { name: 'Add comment' }).click();
  await page.getByRole('status').filter({ hasText: 'Add comment: done.' }).waitFor();
  await page.getByRole('region', { name: 'Timeline' }).getByRole('cell', { name: 'Paper tray replaced; watching it.' }).waitFor();
  await everyWay('ticket-record');
  // Opened by mistake after all: deleted from its own page, after a question asked in the page.
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('group', { name: 'Delete' }).getByRole('button', { name: 'Yes, delete' }).click();
  await page.getByRole('heading', { name: 'Tickets', level: 1 }).waitFor();
  await printerRow.waitFor({ state: 'detached' });
  // A workflow's trigger and steps are objects: typed as JSON, with their shape to start from.
  await page.getByRole('link', { name: 'Workflows', exact: true }).click();
  await page.getByRole('button', { name: 'New workflow' }).click();
  const workflowForm = page.getByRole('region', { name: 'New workflow' });
  t.equal(await workflowForm.getByLabel('Trigger (required) (JSON)').getAttribute('placeholder'), '{"type":"manual"}');
  await everyWay('automation-workflow-new');
  await workflowForm.getByRole('button', { name: 'Cancel' }).click();
  t.equal(await workflowForm.count(), 0, 'cancel closes the form');

  // Every page, each checked with axe-core and photographed light, dark, and dark on a phone.
  for (const [link, heading, name] of [
    ['Heartbeats', 'Heartbeats', 'heartbeats'],
    ['Status page', 'Status page', 'status-page-saved'],
    ['Alerts', 'Alerts', 'alerts-handled'],
    ['License & edition', 'License & edition', 'license-full'],
    ['Profile & API keys', 'Profile & API keys', 'profile-before-key'],
    ['Tickets', 'Tickets', 'tickets'],
    ['Services', 'Services', 'sla-services'],
    ['SLA groups', 'SLA groups', 'sla-groups'],
    ['Daily reports', 'Daily reports', 'sla-reports'],
    ['Exclusion windows', 'Exclusion windows', 'sla-exclusion-windows'],
    ['Anomalies', 'Anomalies', 'anomalies'],
    ['Containers', 'Containers', 'containers'],
    ['Audit trail', 'Audit trail', 'audit'],
    ['Workflows', 'Workflows', 'automation-workflows'],
    ['Executions', 'Executions', 'automation-executions'],
    ['Change events', 'Change events', 'automation-change-events'],
    ['Clients', 'Clients', 'portal-clients'],
    ['Quotes', 'Quotes', 'portal-quotes'],
    ['Invoices', 'Invoices', 'portal-invoices'],
    ['Payments', 'Payments', 'portal-payments'],
    ['Knowledge base', 'Knowledge base', 'portal-knowledge-base'],
    ['Endpoints & certificates', 'Endpoints & certificates', 'endpoints'],
    ['Channels & webhooks', 'Channels & webhooks', 'channels'],
    ['Dashboard', 'Dashboard', 'dashboard-full'],
  ] as const) {
    await page.getByRole('link', { name: link, exact: true }).click();
    await page.getByRole('heading', { name: heading, exact: true, level: 1 }).waitFor();
    await page.waitForLoadState('networkidle');
    t.equal(await page.getByRole('alert').count(), 0, `${name}: no error shown`);
    if (name === 'dashboard-full') {
      // Counted now: the groups of the plugins the license loaded, and the heartbeat made since the first visit.
      const counter = (label: string) => page.locator('.counter').filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) });
      await counter('ticketing: open tickets').waitFor({ timeout: 15_000 });
      await counter('containers: heartbeats')
        .locator('dd', { hasText: /^[1-9]\d*$/ })
        .waitFor({ timeout: 15_000 });
    }
    await everyWay(name);
  }
  // A plugin's page shows its rows as people read them: headings in words, local times, who by name.
  await page.getByRole('link', { name: 'Audit trail', exact: true }).click();
  const trail = page.getByRole('region', { name: 'Audit trail', exact: true });
  await trail.getByRole('columnheader', { name: 'Occurred at', exact: true }).waitFor();
  t.ok((await trail.getByRole('cell', { name: 'ada@example.test', exact: true }).count()) > 0, 'the audit trail names who acted');
  t.equal(await trail.getByRole('cell', { name: /^[{[]/ }).count(), 0, 'no cell shows raw JSON');
  t.ok((await trail.locator('td time').count()) > 0, 'when, as a local time');
  t.equal(await trail.getByRole('cell', { name: /^\d{4}-\d{2}-\d{2}T/ }).count(), 0, 'no raw ISO timestamp');
  await page.getByRole('link', { name: 'Tickets', exact: true }).click();
  await page
    .getByRole('region', { name: 'Tickets', exact: true })
    .getByRole('cell', { name: /^TCK-\d+$/ })
    .first()
    .waitFor();
  // A state reads as words: the down heartbeat's component is a "major outage", not major_outage.
  await page.getByRole('link', { name: 'Status page', exact: true }).click();
  await page
    .getByRole('region', { name: 'Components' })
    .locator('.badge-major_outage', { hasText: /^major outage$/ })
    .waitFor();
  await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
  await page.getByRole('heading', { name: 'Dashboard', exact: true, level: 1 }).waitFor();
  // The failed nightly-backup, asked of the API by status, with how long it has been down.
  await page
    .getByRole('region', { name: 'Late and down heartbeats' })
    .getByRole('row', { name: /nightly-backup/ })
    .getByRole('cell', { name: /^(.+ overdue|down for .+)$/ })
    .waitFor();

  // The job succeeds again: its alert resolves and moves from the firing list to the resolved one.
  t.equal(await curlPing(pingUrl, 'backup finished: 43 files'), 200, 'a success ping, sent by curl');
  await page.getByRole('link', { name: 'Alerts', exact: true }).click();
  await page
    .getByRole('table', { name: 'Recently resolved alerts' })
    .getByRole('row', { name: /nightly-backup is down/ })
    .waitFor({ timeout: 20_000 });
  t.equal(
    await page
      .getByRole('table', { name: 'Firing alerts' })
      .getByRole('row', { name: /nightly-backup is down/ })
      .count(),
    0,
    'a resolved alert is no longer listed as firing',
  );
  await accessible('alerts-resolved');

  // An endpoint to check (this machine has no way out, so it will go down; the console only has to list it).
  await page.getByRole('link', { name: 'Endpoints & certificates' }).click();
  await page.getByLabel('Endpoint name').fill('website');
  await page.getByLabel('URL', { exact: true }).fill('https://www.example.com/health');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  await page.getByRole('status').filter({ hasText: 'website is checked from now on.' }).waitFor();
  await page.getByRole('cell', { name: 'website', exact: true }).waitFor();
  // Any endpoint's checks, not only the dashboard's first twenty.
  await page.getByRole('button', { name: 'Show checks of website' }).click();
  await page.getByRole('heading', { name: 'Checks of website' }).waitFor();
  await accessible('endpoints-added');

  // A certificate watched on its own, here on a closed port of this machine: its check fails to
  // connect, and the row and the check history say so.
  await page.getByLabel('Certificate name (optional)').fill('mail server');
  await page.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  await page.getByLabel('Port', { exact: true }).fill('9');
  await page.getByRole('button', { name: 'Watch certificate' }).click();
  await page.getByRole('status').filter({ hasText: 'mail server is watched from now on.' }).waitFor();
  const watched = page.getByRole('region', { name: 'Certificates' }).getByRole('row', { name: /mail server/ });
  await watched.getByText('error', { exact: true }).waitFor({ timeout: 20_000 });
  await watched.getByRole('button', { name: 'Show checks of mail server' }).click();
  await page.getByRole('region', { name: 'Latest checks of mail server' }).getByText('error', { exact: true }).first().waitFor();
  await everyWay('endpoints-certificate');

  // The status page: the endpoint as a component beside the heartbeat, and a staff incident on it.
  await page.getByRole('link', { name: 'Status page', exact: true }).click();
  await page.getByLabel('Component name').fill('Website');
  await page.getByLabel('Monitor', { exact: true }).selectOption({ label: 'website' });
  await page.getByRole('button', { name: 'Add component' }).click();
  await page.locator('.status-preview li', { hasText: 'Website' }).waitFor();
  await page.getByLabel('Incident title').fill('Slow logins');
  await page.getByLabel('Incident status').selectOption('identified');
  await page.getByLabel('What visitors read').fill('Signing in takes a minute; we are on it.');
  await page.getByRole('checkbox', { name: 'Website' }).check();
  await page.getByRole('button', { name: 'Post incident' }).click();
  const posted = page.getByRole('article', { name: 'Incident Slow logins' });
  await posted.getByText('Signing in takes a minute; we are on it.').waitFor();
  t.equal(await posted.getByText('identified', { exact: true }).count(), 1, 'the preview shows the incident with its status');
  await everyWay('status-page-incident');

  // A notification channel and a webhook subscription (its signing secret shown once).
  await page.getByRole('link', { name: 'Channels & webhooks' }).click();
  await page.getByLabel('Channel name').fill('ops-webhook');
  await page.getByLabel('Channel URL').fill('https://hooks.example.com/itops');
  await page.getByRole('button', { name: 'Add channel' }).click();
  await page.getByRole('cell', { name: 'ops-webhook', exact: true }).waitFor();
  await page.getByLabel('Subscriber URL').fill('https://example.com/hooks/itops');
  await page.getByLabel('Topics (blank: all)').fill('heartbeat.deadline_missed');
  await page.getByRole('button', { name: 'Add subscription' }).click();
  t.match(await page.getByLabel('Signing secret').inputValue(), /^whsec_/);
  await page
    .getByRole('row', { name: /example\.com\/hooks/ })
    .getByRole('button', { name: 'Show history' })
    .click();
  await page.getByRole('heading', { name: 'Delivery history' }).waitFor();
  await accessible('channels-webhooks');

  // A receiver that fails every attempt of a delivery (500, retry at once) and then recovers: the
  // failed delivery is replayed from its history and is seen delivered, with its webhook-id kept.
  const receiver = await startReceiver(t, () => (receiver.received.length <= 6 ? { status: 500, headers: { 'retry-after': '0' } } : { status: 200 }));
  await page.getByLabel('Subscriber URL').fill(receiver.url('/hook'));
  await page.getByLabel('Topics (blank: all)').fill('webhook.test');
  await page.getByRole('button', { name: 'Add subscription' }).click();
  const firstSecret = await page.getByLabel('Signing secret').inputValue();
  const local = page.getByRole('row', { name: /127\.0\.0\.1/ });
  await local.getByRole('button', { name: 'Send test' }).click();
  const history = page.getByRole('region', { name: 'Deliveries' });
  await history.getByText('failed', { exact: true }).waitFor({ timeout: 30_000 });
  await history.getByRole('cell', { name: '500', exact: true }).waitFor();
  await everyWay('channels-webhook-failed');
  await history.getByRole('button', { name: 'Replay' }).click();
  await page.getByRole('status').filter({ hasText: 'Delivery queued again.' }).waitFor();
  await history.getByText('delivered', { exact: true }).waitFor({ timeout: 15_000 });
  await history.getByRole('cell', { name: '200', exact: true }).waitFor();
  t.equal(receiver.received.length, 7, 'six failed attempts, then the replay');
  t.equal(receiver.received[6].headers['webhook-id'], receiver.received[0].headers['webhook-id'], 'the replay keeps its webhook-id');

  // The signing secret rotated (shown once, after a confirmation), and a channel deleted.
  await local.getByRole('button', { name: 'Rotate secret' }).click();
  await local.getByRole('button', { name: 'Yes, rotate' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^Secret of .* rotated/ })
    .waitFor();
  const rotated = await page.getByLabel('Signing secret').inputValue();
  t.match(rotated, /^whsec_/);
  t.not(rotated, firstSecret, 'a new secret is shown');
  await page.getByRole('button', { name: 'Delete ops-webhook' }).click();
  await accessible('channels-delete-confirm');
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await page.getByRole('status').filter({ hasText: 'Deleted ops-webhook.' }).waitFor();
  await page.getByRole('cell', { name: 'ops-webhook', exact: true }).waitFor({ state: 'detached' });

  // An API key is shown once; a platform admin creates a second workspace and switches to it.
  await page.getByRole('link', { name: 'Profile & API keys' }).click();
  await page.getByLabel('Workspace name').fill('Acme Europe');
  await page.getByLabel('Workspace id').fill('acme-eu');
  await page.getByRole('button', { name: 'Create workspace' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: /^Workspace acme-eu created/ })
    .waitFor();
  await page.getByRole('combobox', { name: 'Workspace', exact: true }).selectOption('acme-eu');
  await page.getByRole('link', { name: 'Heartbeats' }).click();
  await page.getByText('No heartbeat yet').waitFor();
  // A bigger workspace is paged and searched by the API, not drawn whole.
  for (let i = 1; i <= 55; i++) {
    const created = await fetch(`${kernel.url}/api/v1/heartbeats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}`, 'x-workspace-id': 'acme-eu', 'idempotency-key': `hb-${i}` },
      body: JSON.stringify({ name: `job-${String(i).padStart(2, '0')}`, periodSeconds: 3600 }),
    });
    if (created.status !== 201) t.fail(`heartbeat ${i}: ${created.status}`);
  }
  await page.reload();
  await page.getByText('1–50 of 55').waitFor();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('51–55 of 55').waitFor();
  await page.getByLabel('Search').fill('job-07');
  await page.getByRole('link', { name: 'job-07' }).waitFor();
  t.equal(await page.locator('tbody tr').count(), 1, 'the search finds one');
  await accessible('heartbeats-paged');
  // A plugin's page is paged by its list API too: 55 heartbeats made, 55 records in the audit trail.
  await page.getByRole('link', { name: 'Audit trail', exact: true }).click();
  const trailPages = page.getByRole('navigation', { name: 'Audit trail pages' });
  await trailPages.getByText(/^1–50 of \d+$/).waitFor();
  await trailPages.getByRole('button', { name: 'Next' }).click();
  await trailPages.getByText(/^51–\d+ of \d+$/).waitFor();
  t.ok((await page.getByRole('region', { name: 'Audit trail', exact: true }).locator('tbody tr').count()) >= 5, 'the next page of records');
  await page.getByRole('link', { name: 'Heartbeats' }).click();
  await page.getByRole('combobox', { name: 'Workspace', exact: true }).selectOption('acme');
  await page.getByRole('link', { name: 'nightly-backup' }).waitFor();
  await page.getByRole('link', { name: 'Profile & API keys' }).click();
  await page.getByRole('link', { name: 'Profile & API keys' }).click();
  await page.getByLabel('Key name').fill('cron-jobs');
  await page.getByRole('button', { name: 'Create API key' }).click();
  await page.getByText('it is shown only this once').waitFor();
  t.ok((await page.getByLabel('New API key').inputValue()).length > 20);
  await accessible('profile');

  // A license activated elsewhere (the API, another node) without ticketing: its page goes, live.
  const withoutTicketing = await issueLicense(vendor.privateJwk, { customer: 'Acme', plugins: ['containers', 'sla', 'aiops', 'audit'] });
  const activated = await fetch(`${kernel.url}/api/v1/license/activate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
    body: JSON.stringify({ licenseKey: withoutTicketing }),
  });
  t.equal(activated.status, 200);
  await page.getByRole('link', { name: 'Tickets', exact: true }).waitFor({ state: 'detached', timeout: 15_000 });
  t.equal(await page.getByRole('link', { name: 'Services', exact: true }).count(), 1, 'the licensed plugins keep their pages');

  // Dark mode and a phone-sized screen.
  await page.getByLabel('Colour theme').first().selectOption('dark');
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.waitForLoadState('networkidle');
  await accessible('dashboard-dark');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByRole('link', { name: 'Heartbeats' }).click();
  await page.getByRole('heading', { name: 'Heartbeats', level: 1 }).waitFor();
  await accessible('heartbeats-phone-dark');

  // Keyboard: on a fresh load the skip link is the first stop.
  await page.reload();
  await page.getByRole('heading', { name: 'Heartbeats', level: 1 }).waitFor();
  await page.keyboard.press('Tab');
  t.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');

  // The session revoked elsewhere (logout from another device): the next call sends the console back to sign-in.
  await page.setViewportSize({ width: 1280, height: 900 });
  const stored = JSON.parse((await page.evaluate('localStorage.getItem("itops.session")')) as string) as { token: string; refreshToken: string };
  const revoked = await fetch(`${kernel.url}/api/v1/auth/logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stored.token}` },
    body: JSON.stringify({ refreshToken: stored.refreshToken }),
  });
  t.equal(revoked.status < 300, true, `logout elsewhere: ${revoked.status}`);
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('alert').filter({ hasText: 'Your session ended: sign in again.' }).waitFor();
  await page.getByLabel('Email').fill('ada@example.test');
  await page.getByLabel('Password').fill('a long enough password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to itops' }).waitFor();
  t.same(elsewhere, [], 'no request left this server');
  t.same(problems, [], 'no console error, no CSP violation', { failedLoads });
});
