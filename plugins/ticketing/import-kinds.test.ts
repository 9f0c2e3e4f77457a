import t from 'tap';
import { download, exportRows, finishedJob, importFile } from '../../core/imports/imports.testkit.ts';
import { startTicketing } from './ticketing.testkit.ts';

t.test('tickets: imported without SLA clocks or per-row events, bad rows reported, exported and re-imported in place', async (t) => {
  const w = await startTicketing(t);
  const ndjson = [
    { title: 'Printer on fire', priority: 'urgent', status: 'resolved', clientId: 'client-7', tags: ['hardware'], createdAt: '2025-03-01T08:00:00.000Z' },
    { title: 'VPN drops', description: 'every hour', requester: 'sam@acme.test' },
    { title: 'bad status', status: 'burning' },
    { priority: 'low' },
  ]
    .map((row) => JSON.stringify(row))
    .join('\n');
  const queued = await importFile(w.kernel, w.acmeAdmin.headers, 'tickets', ndjson, 'application/x-ndjson', '&mode=best_effort');
  t.equal(queued.status, 202, queued.text);
  const job = await finishedJob(w.kernel, w.acmeAdmin.headers, queued.json.id);
  t.match(job, { state: 'completed', rows: { read: 4, written: 2, rejected: 2 } });
  const report = (await download(job.artifactUrl)).text.trim().split('\n');
  t.match(report[1], /^3,status,/);
  t.match(report[2], /^4,title,/);

  const listed = (await w.read('/api/v1/tickets?sortBy=createdAt', w.acmeOps)).json;
  t.equal(listed.page.total, 2);
  t.match(listed.data[0], {
    title: 'Printer on fire',
    priority: 'urgent',
    status: 'resolved',
    clientId: 'client-7',
    source: 'import',
    createdAt: '2025-03-01T08:00:00.000Z',
  });
  t.match(listed.data[1], { title: 'VPN drops', status: 'new', source: 'import' });
  const [events] = await w.kernel.database.platform.query<{ n: number }>("SELECT count(*)::int AS n FROM event_outbox WHERE topic LIKE 'ticket%'");
  t.equal(events.n, 0, 'a bulk load publishes no ticket.created per row');
  t.same((await w.read('/api/v1/tickets', w.globexAdmin)).json.data, [], 'the other workspace sees none');

  const exported = await exportRows(w.kernel, w.acmeAdmin.headers, 'tickets');
  t.match(exported, [
    { title: 'Printer on fire', status: 'resolved', createdAt: '2025-03-01T08:00:00.000Z' },
    { title: 'VPN drops', description: 'every hour' },
  ]);
  exported[1].status = 'open';
  const again = await importFile(w.kernel, w.acmeAdmin.headers, 'tickets', JSON.stringify(exported), 'application/json');
  t.match(await finishedJob(w.kernel, w.acmeAdmin.headers, again.json.id), { state: 'completed', rows: { written: 2 } });
  const after = (await w.read('/api/v1/tickets?sortBy=createdAt', w.acmeOps)).json;
  t.equal(after.page.total, 2, 'updated in place by id, not duplicated');
  t.match(after.data[1], { id: exported[1].id, status: 'open', version: 2 });

  // Another workspace cannot write over these tickets by naming their ids.
  const foreign = await importFile(w.kernel, w.globexAdmin.headers, 'tickets', JSON.stringify([exported[0]]), 'application/json');
  t.match(await finishedJob(w.kernel, w.globexAdmin.headers, foreign.json.id), { state: 'failed' });
  t.match((await w.read(`/api/v1/tickets/${exported[0].id}`, w.acmeOps)).json, { title: 'Printer on fire', version: 2 }, 'untouched by the other workspace');
});

t.test('assets: imported from CSV, updated by id, exported; roles and workspaces hold', async (t) => {
  const w = await startTicketing(t);
  const csv = [
    'name,kind,state,serial,attributes',
    'web-1,server,active,SN-1,"{""rack"":""A3""}"',
    'core-sw,switch,maintenance,,',
    'ghost,server,haunted,,',
  ].join('\n');
  const viewer = await importFile(w.kernel, w.acmeViewer.headers, 'assets', csv, 'text/csv');
  t.equal(viewer.status, 403, 'a viewer cannot import');
  const queued = await importFile(w.kernel, w.acmeAdmin.headers, 'assets', csv, 'text/csv', '&mode=best_effort');
  const job = await finishedJob(w.kernel, w.acmeAdmin.headers, queued.json.id);
  t.match(job, { state: 'completed', rows: { read: 3, written: 2, rejected: 1 } });
  t.match((await download(job.artifactUrl)).text, /\n3,state,/);

  const rows = await exportRows(w.kernel, w.acmeAdmin.headers, 'assets');
  t.match(rows, [
    { name: 'core-sw', kind: 'switch', state: 'maintenance' },
    { name: 'web-1', kind: 'server', serial: 'SN-1', attributes: { rack: 'A3' } },
  ]);
  rows[1].state = 'retired';
  const again = await importFile(w.kernel, w.acmeAdmin.headers, 'assets', JSON.stringify(rows), 'application/json');
  t.match(await finishedJob(w.kernel, w.acmeAdmin.headers, again.json.id), { state: 'completed', rows: { written: 2 } });
  t.match((await w.read(`/api/v1/assets/${rows[1].id}`, w.acmeOps)).json, { state: 'retired', version: 2 });
  t.same((await w.read('/api/v1/assets', w.globexAdmin)).json.data, []);
});
