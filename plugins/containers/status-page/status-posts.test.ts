import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { openSse, statusWorld } from './status-page.testkit.ts';

const hour = 3_600_000;

t.test('incidents: posted with a first update, updated until resolved, listed, edited and deleted', async (t) => {
  const { kernel, acmeOps, acmeViewer, component } = await statusWorld(t);
  const api = await component({ name: 'API', monitorType: 'container', monitorId: 'api-1' });
  const created = await call(kernel, 'POST', '/api/v1/status/incidents', {
    headers: acmeOps.headers,
    body: { title: ' Elevated error rates ', status: 'investigating', message: 'We are looking into it.', componentIds: [api.id] },
  });
  t.equal(created.status, 201, created.text);
  t.match(created.json, {
    id: /^[0-9a-f-]{36}$/,
    title: 'Elevated error rates',
    status: 'investigating',
    componentIds: [api.id],
    resolvedAt: null,
    updates: [{ status: 'investigating', message: 'We are looking into it.' }],
  });
  const id = created.json.id;

  const identified = await call(kernel, 'POST', `/api/v1/status/incidents/${id}/updates`, {
    headers: acmeOps.headers,
    body: { status: 'identified', message: 'A bad deploy; rolling back.' },
  });
  t.equal(identified.status, 201, identified.text);
  t.match(identified.json, { status: 'identified', resolvedAt: null, updates: [{ status: 'investigating' }, { status: 'identified' }] });
  const resolved = await call(kernel, 'POST', `/api/v1/status/incidents/${id}/updates`, {
    headers: acmeOps.headers,
    body: { status: 'resolved', message: 'Fixed.' },
  });
  t.match(resolved.json, { status: 'resolved', resolvedAt: String });

  const renamed = await call(kernel, 'PUT', `/api/v1/status/incidents/${id}`, { headers: acmeOps.headers, body: { title: 'API errors', componentIds: [] } });
  t.equal(renamed.status, 200, renamed.text);
  t.match(renamed.json, { title: 'API errors', componentIds: [], status: 'resolved' });

  await call(kernel, 'POST', '/api/v1/status/incidents', {
    headers: acmeOps.headers,
    body: { title: 'Slow search', status: 'monitoring', message: 'Watching.' },
  });
  const list = await call(kernel, 'GET', '/api/v1/status/incidents?status=resolved', { headers: acmeViewer.headers });
  t.equal(list.status, 200);
  t.match(list.json, { data: [{ id, title: 'API errors' }], page: { total: 1 }, filters: { status: 'resolved' } });
  const all = await call(kernel, 'GET', '/api/v1/status/incidents?sortBy=title&sortOrder=desc&q=s', { headers: acmeViewer.headers });
  t.same(
    all.json.data.map((i: any) => i.title),
    ['Slow search', 'API errors'],
  );

  t.equal((await call(kernel, 'DELETE', `/api/v1/status/incidents/${id}`, { headers: acmeOps.headers })).status, 204);
  t.equal((await call(kernel, 'DELETE', `/api/v1/status/incidents/${id}`, { headers: acmeOps.headers })).status, 404);
});

t.test('incidents and maintenances: bad input, no auth, wrong role, other workspace', async (t) => {
  const { kernel, acmeOps, acmeViewer, globexAdmin, component } = await statusWorld(t);
  const api = await component({ name: 'API', monitorType: 'container', monitorId: 'api-1' });
  const globexComponent = await component({ name: 'Globex web', monitorType: 'container', monitorId: 'web' }, globexAdmin.headers);
  const incident = await call(kernel, 'POST', '/api/v1/status/incidents', {
    headers: acmeOps.headers,
    body: { title: 'Outage', status: 'investigating', message: 'Hm.' },
  });
  const start = new Date(Date.now() + hour).toISOString();
  const end = new Date(Date.now() + 2 * hour).toISOString();
  const maintenance = await call(kernel, 'POST', '/api/v1/status/maintenances', {
    headers: acmeOps.headers,
    body: { title: 'Upgrade', startsAt: start, endsAt: end },
  });
  t.equal(maintenance.status, 201, maintenance.text);

  const bad = async (method: string, path: string, body: unknown) => {
    const response = await call(kernel, method, path, { headers: acmeOps.headers, body });
    t.equal(response.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
    t.equal(response.json.error.code, 'validation_failed');
  };
  await bad('POST', '/api/v1/status/incidents', { title: 'x', status: 'panicking', message: 'm' });
  await bad('POST', '/api/v1/status/incidents', { title: ' ', status: 'investigating', message: 'm' });
  await bad('POST', '/api/v1/status/incidents', { title: 'x', status: 'investigating' });
  await bad('POST', '/api/v1/status/incidents', { title: 'x', status: 'investigating', message: 'm', componentIds: [globexComponent.id] });
  await bad('POST', `/api/v1/status/incidents/${incident.json.id}/updates`, { status: 'resolved', message: '' });
  await bad('PUT', `/api/v1/status/incidents/${incident.json.id}`, {});
  await bad('POST', '/api/v1/status/maintenances', { title: 'x', startsAt: end, endsAt: start });
  await bad('POST', '/api/v1/status/maintenances', { title: 'x', startsAt: 'tomorrow', endsAt: end });
  await bad('PUT', `/api/v1/status/maintenances/${maintenance.json.id}`, { endsAt: new Date(Date.now() - hour).toISOString() });
  await bad('GET', '/api/v1/status/incidents?status=fine', undefined);

  for (const [method, path] of [
    ['GET', '/api/v1/status/incidents'],
    ['POST', '/api/v1/status/incidents'],
    ['GET', '/api/v1/status/maintenances'],
    ['DELETE', `/api/v1/status/maintenances/${maintenance.json.id}`],
  ]) {
    const anonymous = await call(kernel, method, path, { body: method === 'POST' ? { title: 'x', status: 'investigating', message: 'm' } : undefined });
    t.equal(anonymous.status, 401, `${method} ${path} without credentials`);
  }
  const viewer = await call(kernel, 'POST', '/api/v1/status/incidents', {
    headers: acmeViewer.headers,
    body: { title: 'x', status: 'investigating', message: 'm', componentIds: [api.id] },
  });
  t.equal(viewer.status, 403, 'a viewer reads but does not post');
  t.equal(viewer.json.error.code, 'forbidden');
  const viewerMaintenance = await call(kernel, 'DELETE', `/api/v1/status/maintenances/${maintenance.json.id}`, { headers: acmeViewer.headers });
  t.equal(viewerMaintenance.status, 403);

  // Another workspace neither sees nor changes them.
  t.match((await call(kernel, 'GET', '/api/v1/status/incidents', { headers: globexAdmin.headers })).json, { data: [], page: { total: 0 } });
  t.match((await call(kernel, 'GET', '/api/v1/status/maintenances', { headers: globexAdmin.headers })).json, { data: [], page: { total: 0 } });
  const foreign = await call(kernel, 'POST', `/api/v1/status/incidents/${incident.json.id}/updates`, {
    headers: globexAdmin.headers,
    body: { status: 'resolved', message: 'not yours' },
  });
  t.equal(foreign.status, 404);
  t.equal((await call(kernel, 'PUT', `/api/v1/status/incidents/${incident.json.id}`, { headers: globexAdmin.headers, body: { title: 'x' } })).status, 404);
  t.equal((await call(kernel, 'DELETE', `/api/v1/status/maintenances/${maintenance.json.id}`, { headers: globexAdmin.headers })).status, 404);
  t.equal((await call(kernel, 'GET', `/api/v1/status/incidents`, { headers: acmeViewer.headers })).json.data[0].status, 'investigating', 'unchanged');
});

t.test('maintenances: scheduled, listed by state, changed and deleted', async (t) => {
  const { kernel, acmeOps, acmeViewer, component } = await statusWorld(t);
  const db = await component({ name: 'Database', monitorType: 'container', monitorId: 'db-1' });
  const at = (h: number) => new Date(Date.now() + h * hour).toISOString();
  const created = await call(kernel, 'POST', '/api/v1/status/maintenances', {
    headers: acmeOps.headers,
    body: { title: 'PostgreSQL 17', description: 'Read-only for 20 minutes.', startsAt: at(24), endsAt: at(25), componentIds: [db.id] },
  });
  t.equal(created.status, 201, created.text);
  t.match(created.json, { title: 'PostgreSQL 17', description: 'Read-only for 20 minutes.', componentIds: [db.id], startsAt: at(24).slice(0, 13) });
  await call(kernel, 'POST', '/api/v1/status/maintenances', { headers: acmeOps.headers, body: { title: 'Old', startsAt: at(-5), endsAt: at(-4) } });
  const upcoming = await call(kernel, 'GET', '/api/v1/status/maintenances?state=upcoming', { headers: acmeViewer.headers });
  t.match(upcoming.json, { data: [{ id: created.json.id }], page: { total: 1 }, filters: { state: 'upcoming' } });
  const past = await call(kernel, 'GET', '/api/v1/status/maintenances?state=past', { headers: acmeViewer.headers });
  t.match(past.json, { data: [{ title: 'Old' }], page: { total: 1 } });
  const moved = await call(kernel, 'PUT', `/api/v1/status/maintenances/${created.json.id}`, {
    headers: acmeOps.headers,
    body: { endsAt: at(26), description: null },
  });
  t.equal(moved.status, 200, moved.text);
  t.match(moved.json, { description: null, endsAt: at(26).slice(0, 13) });
  t.equal((await call(kernel, 'DELETE', `/api/v1/status/maintenances/${created.json.id}`, { headers: acmeOps.headers })).status, 204);
  t.equal((await call(kernel, 'PUT', `/api/v1/status/maintenances/${created.json.id}`, { headers: acmeOps.headers, body: { title: 'x' } })).status, 404);
});

t.test('the page shows an open incident and upcoming maintenance, titled by the workspace name; its stream pushes incident updates', async (t) => {
  const { kernel, acmeOps, component, page } = await statusWorld(t);
  const api = await component({ name: 'API', monitorType: 'container', monitorId: 'api-1' });
  const incident = await call(kernel, 'POST', '/api/v1/status/incidents', {
    headers: acmeOps.headers,
    body: { title: 'Elevated <errors>', status: 'identified', message: 'Rolling back & watching.', componentIds: [api.id] },
  });
  await call(kernel, 'POST', '/api/v1/status/maintenances', {
    headers: acmeOps.headers,
    body: { title: 'Database upgrade', startsAt: new Date(Date.now() + 24 * hour).toISOString(), endsAt: new Date(Date.now() + 25 * hour).toISOString() },
  });
  await call(kernel, 'POST', '/api/v1/status/maintenances', {
    headers: acmeOps.headers,
    body: { title: 'Long over', startsAt: new Date(Date.now() - 5 * hour).toISOString(), endsAt: new Date(Date.now() - 4 * hour).toISOString() },
  });
  const { status, html } = await page();
  t.equal(status, 200);
  t.match(html, /<title>Acme Corporation status<\/title>/, 'titled by the workspace’s display name');
  t.match(html, /<h3>Elevated &lt;errors&gt;<\/h3>/, 'the open incident, escaped');
  t.match(html, /<span class="label">Identified<\/span>/);
  t.match(html, /Affects: API/);
  t.match(html, /Rolling back &amp; watching\./);
  t.match(html, /<h3>Database upgrade<\/h3>.*<span class="label">Scheduled<\/span>/s);
  t.notMatch(html, /Long over/, 'past windows are not shown');
  t.match(html, /<p id="no-incidents" hidden>/);
  t.notMatch(html, /[\u2300-\u23ff\u2700-\u27bf\u{1f300}-\u{1faff}]/u, 'no emoji or dingbat symbols: icons are inline SVG');
  t.match(html, /<svg viewBox="0 0 16 16"/);

  const sse = await openSse(`${kernel.url}/status/events?workspace=acme`);
  t.teardown(() => sse.close());
  const snapshot = await sse.next((f) => f.event === 'snapshot');
  t.match(snapshot.data, { incidents: [{ id: incident.json.id, status: 'identified' }], maintenances: [{ title: 'Database upgrade' }] });
  await call(kernel, 'POST', `/api/v1/status/incidents/${incident.json.id}/updates`, {
    headers: acmeOps.headers,
    body: { status: 'monitoring', message: 'Fix deployed.' },
  });
  const pushed = await sse.next((f) => f.event === 'incident');
  t.match(pushed.data, {
    id: incident.json.id,
    title: 'Elevated <errors>',
    status: 'monitoring',
    updates: [{ status: 'identified' }, { status: 'monitoring', message: 'Fix deployed.' }],
  });
  await call(kernel, 'DELETE', `/api/v1/status/incidents/${incident.json.id}`, { headers: acmeOps.headers });
  t.same((await sse.next((f) => f.event === 'incident')).data, { id: incident.json.id, deleted: true });
});

t.test('a paused monitor: shown as paused, or hidden where its component says so', async (t) => {
  const { kernel, acmeOps, heartbeat, ping, component, becomes, page } = await statusWorld(t);
  const shown = await heartbeat('shown backup');
  const hidden = await heartbeat('hidden backup');
  await ping(`/ping/${shown.uuid}`);
  await ping(`/ping/${hidden.uuid}`);
  const a = await component({ name: 'Shown backups', monitorType: 'heartbeat', monitorId: shown.id });
  const b = await component({ name: 'Hidden backups', monitorType: 'heartbeat', monitorId: hidden.id, whenPaused: 'hide' });
  t.equal(b.whenPaused, 'hide');
  t.equal(a.whenPaused, 'show', 'shown by default');
  const bad = await call(kernel, 'PUT', `/api/v1/status/components/${a.id}`, { headers: acmeOps.headers, body: { whenPaused: 'blink' } });
  t.equal(bad.status, 400);
  await becomes(b.id, 'operational');
  for (const hb of [shown, hidden]) await call(kernel, 'POST', `/api/v1/heartbeats/${hb.id}/pause`, { headers: acmeOps.headers });
  await becomes(a.id, 'paused');
  await becomes(b.id, 'paused');
  const { html } = await page();
  t.match(html, new RegExp(`data-component="${a.id}"[^>]*data-status="paused"[^>]*data-hide-paused="false">`), 'shown');
  t.match(html, /<span class="label">Paused<\/span>/, 'as paused');
  t.notMatch(html, /<span class="label">Under maintenance/, 'not as maintenance');
  t.match(html, new RegExp(`data-component="${b.id}"[^>]*data-hide-paused="true" hidden>`), 'hidden while paused');
  t.match(html, /<p id="no-incidents">No active incidents\./, 'a paused monitor is no incident');
  const shownAgain = await call(kernel, 'PUT', `/api/v1/status/components/${b.id}`, { headers: acmeOps.headers, body: { whenPaused: 'show' } });
  t.equal(shownAgain.json.whenPaused, 'show');
  t.match((await page()).html, new RegExp(`data-component="${b.id}"[^>]*data-hide-paused="false">`), 'shown once the component says so');
});
