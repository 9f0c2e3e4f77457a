import { randomUUID } from 'node:crypto';
import t from 'tap';
import { call } from '../../core/plugin-api/testing.ts';
import { startWorld } from '../../core/testing/identity-fixtures.ts';
import { download, exportRows, finishedJob, importFile } from '../../core/imports/imports.testkit.ts';
import { createContainersPlugin } from './plugin.ts';

t.test('heartbeats: import keeps a ping UUID, checks cron and time zone per row, updates by UUID and moves deadlines', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [createContainersPlugin()] });
  const kept = randomUUID();
  const yaml = [
    '---',
    `pingUuid: ${kept}`,
    'name: nightly backup',
    'cron: "0 3 * * *"',
    'timezone: Europe/Berlin',
    'graceSeconds: 600',
    'tags: [backup]',
    '---',
    'name: hourly sync',
    'periodSeconds: 3600',
    '---',
    'name: broken',
    'cron: "not a cron"',
    '---',
    'name: both',
    'cron: "* * * * *"',
    'periodSeconds: 60',
  ].join('\n');
  const queued = await importFile(kernel, acmeAdmin.headers, 'heartbeats', yaml, 'application/yaml', '&mode=best_effort');
  t.equal(queued.status, 202, queued.text);
  const job = await finishedJob(kernel, acmeAdmin.headers, queued.json.id);
  t.match(job, { state: 'completed', rows: { read: 4, written: 2, rejected: 2 } });
  const report = (await download(job.artifactUrl)).text.trim().split('\n');
  t.match(report[1], /^3,cron,/);
  t.equal(report[2], '4,cron,"give either periodSeconds or cron, not both"');
  const listed = await call(kernel, 'GET', '/api/v1/heartbeats', { headers: acmeAdmin.headers });
  const backup = listed.json.data.find((h: any) => h.name === 'nightly backup');
  t.match(backup, { uuid: kept, kind: 'cron', cron: '0 3 * * *', timezone: 'Europe/Berlin', graceSeconds: 600, status: 'new', tags: ['backup'] });
  t.ok(listed.json.data.some((h: any) => h.name === 'hourly sync' && h.periodSeconds === 3600));

  // A ping makes it up with a deadline; importing a new schedule for its UUID moves the deadline now.
  t.equal((await call(kernel, 'GET', `/ping/${kept}`)).status, 200);
  const before = (await call(kernel, 'GET', `/api/v1/heartbeats/${backup.id}`, { headers: acmeAdmin.headers })).json;
  t.equal(before.status, 'up');
  const update = await importFile(
    kernel,
    acmeAdmin.headers,
    'heartbeats',
    JSON.stringify([{ pingUuid: kept, name: 'nightly backup', periodSeconds: 60 }]),
    'application/json',
  );
  t.match(await finishedJob(kernel, acmeAdmin.headers, update.json.id), { state: 'completed', rows: { written: 1 } });
  const after = (await call(kernel, 'GET', `/api/v1/heartbeats/${backup.id}`, { headers: acmeAdmin.headers })).json;
  t.match(after, { id: backup.id, kind: 'period', periodSeconds: 60, cron: null });
  t.ok(Date.parse(after.nextDeadlineAt) < Date.parse(before.nextDeadlineAt), 'the deadline follows the new schedule');

  const rows = await exportRows(kernel, acmeAdmin.headers, 'heartbeats');
  t.match(rows, [
    { name: 'hourly sync', periodSeconds: 3600 },
    { name: 'nightly backup', pingUuid: kept, periodSeconds: 60 },
  ]);
});

t.test('endpoints: import by name, sensitive headers exported redacted and kept on re-import; counters', async (t) => {
  const { kernel, acmeAdmin, globexAdmin } = await startWorld(t, { plugins: [createContainersPlugin()] });
  const csv = [
    'name,url,method,headers,intervalSeconds,timeoutSeconds',
    'site,https://example.com/health,GET,"{""Authorization"":""Bearer s3cret"",""Accept"":""text/plain""}",60,5',
    'db,tcp://db.example.com:5432,,,30,',
    'nope,ftp://example.com,,,,',
  ].join('\n');
  const queued = await importFile(kernel, acmeAdmin.headers, 'endpoints', csv, 'text/csv', '&mode=best_effort');
  const job = await finishedJob(kernel, acmeAdmin.headers, queued.json.id);
  t.match(job, { state: 'completed', rows: { read: 3, written: 2, rejected: 1 } });
  t.match((await download(job.artifactUrl)).text, /\n3,url,"must be an http:\/\/, https:\/\/ or tcp:\/\/ URL"/);

  const rows = await exportRows(kernel, acmeAdmin.headers, 'endpoints');
  const site = rows.find((r) => r.name === 'site');
  t.same(site.headers, { Authorization: '<redacted>', Accept: 'text/plain' }, 'the secret never reaches the file');
  t.notOk('method' in rows.find((r) => r.name === 'db'), 'a TCP endpoint has no HTTP fields');

  // Re-importing the export (an interval changed) keeps the stored secret and updates in place.
  site.intervalSeconds = 120;
  const again = await importFile(kernel, acmeAdmin.headers, 'endpoints', JSON.stringify([site]), 'application/json');
  t.match(await finishedJob(kernel, acmeAdmin.headers, again.json.id), { state: 'completed', rows: { written: 1 } });
  const stored = await kernel.database
    .forTenant('acme')
    .query<{ headers: Record<string, string>; interval_seconds: number }>("SELECT headers, interval_seconds FROM endpoint WHERE name = 'site'");
  t.same(stored, [{ headers: { Authorization: 'Bearer s3cret', Accept: 'text/plain' }, interval_seconds: 120 }]);
  // In a workspace without that endpoint, a redacted value has nothing to keep.
  const elsewhere = await importFile(kernel, globexAdmin.headers, 'endpoints', JSON.stringify([site]), 'application/json');
  t.match(await finishedJob(kernel, globexAdmin.headers, elsewhere.json.id), { state: 'failed', errorCode: 'rows_rejected' });

  const summary = await call(kernel, 'GET', '/api/v1/dashboard/summary', { headers: acmeAdmin.headers });
  t.match(summary.json.counters.containers, { endpoints: 2, heartbeats: 0 });
  t.match((await call(kernel, 'GET', '/api/v1/dashboard/summary', { headers: globexAdmin.headers })).json.counters.containers, { endpoints: 0 });
});
