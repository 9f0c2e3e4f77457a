import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { download, finishedJob, idem, notesPlugin } from './imports.testkit.ts';

const csv = (lines: string[]) => `${lines.join('\n')}\n`;

async function world(t: Parameters<typeof startWorld>[0]) {
  return startWorld(t, { plugins: [notesPlugin] });
}

function upload(kernel: any, headers: Record<string, string>, query: string, body: string, contentType = 'text/csv') {
  return call(kernel, 'POST', `/api/v1/imports?${query}`, { headers: { ...headers, ...idem(), 'content-type': contentType }, raw: body });
}

t.test('a CSV import runs as a job: rows written, the job contract filled in, a completion event', async (t) => {
  const { kernel, acmeAdmin } = await world(t);
  const queued = await upload(
    kernel,
    acmeAdmin.headers,
    'kind=notes',
    csv(['key,body,priority,labels', 'a,first,1,', 'b,"second, with comma",2,"{""team"":""ops""}"']),
  );
  t.equal(queued.status, 202, queued.text);
  t.match(queued.json, {
    type: 'import',
    kind: 'notes',
    format: 'csv',
    mode: 'all_or_nothing',
    dryRun: false,
    state: 'queued',
    retryCount: 0,
    artifactUrl: null,
  });
  t.equal(queued.headers.get('location'), `/api/v1/jobs/${queued.json.id}`);
  const job = await finishedJob(kernel, acmeAdmin.headers, queued.json.id);
  t.match(job, { state: 'completed', rows: { read: 2, written: 2, rejected: 0 }, errorCode: null, errorMessage: null, artifactUrl: null });
  t.ok(
    Date.parse(job.queuedAt) <= Date.parse(job.startedAt) && Date.parse(job.startedAt) <= Date.parse(job.completedAt),
    'queued, started, completed in order',
  );
  const rows = await kernel.database.forTenant('acme').query('SELECT key, body, priority, labels FROM import_note ORDER BY key');
  t.same(rows, [
    { key: 'a', body: 'first', priority: 1, labels: null },
    { key: 'b', body: 'second, with comma', priority: 2, labels: { team: 'ops' } },
  ]);
  const listed = await call(kernel, 'GET', '/api/v1/jobs?type=import', { headers: acmeAdmin.headers });
  t.equal(listed.status, 200);
  t.match(listed.json, { page: { total: 1, returned: 1 }, filters: { type: 'import' }, data: [{ id: job.id, state: 'completed' }] });
  const [event] = await kernel.database.platform.query<{ payload: any }>("SELECT payload FROM event_outbox WHERE topic = 'job.completed'");
  t.match(event.payload, { id: job.id, type: 'import', kind: 'notes', rows: { written: 2 } }, 'job.completed went through the outbox');
});

t.test('all-or-nothing with bad rows keeps nothing and reports each row, field and reason', async (t) => {
  const { kernel, acmeAdmin } = await world(t);
  const body = csv(['key,body,priority', 'ok,fine,1', ',missing key,2', 'bad,priority,high', 'db,refused by the table,150']);
  const queued = await upload(kernel, acmeAdmin.headers, 'kind=notes', body);
  const job = await finishedJob(kernel, acmeAdmin.headers, queued.json.id);
  t.match(job, { state: 'failed', errorCode: 'rows_rejected', rows: { read: 4, written: 0, rejected: 2 }, artifactUrl: /\/api\/v1\/artifacts\// });
  t.equal((await kernel.database.forTenant('acme').query('SELECT * FROM import_note')).length, 0, 'nothing was written');
  const report = await download(job.artifactUrl);
  t.equal(report.status, 200);
  t.match(report.headers.get('content-type'), /text\/csv/);
  t.match(report.headers.get('content-disposition'), /attachment/);
  t.equal(report.text, csv(['row,field,reason', "2,key,must have required property 'key'", '3,priority,must be integer']));
});

t.test('best effort keeps the good rows; a row the table refuses is reported too', async (t) => {
  const { kernel, acmeAdmin } = await world(t);
  const body = csv(['key,body,priority', 'ok,fine,1', 'bad,priority,high', 'db,refused by the table,150', 'ok2,also fine,3']);
  const queued = await upload(kernel, acmeAdmin.headers, 'kind=notes&mode=best_effort', body);
  const job = await finishedJob(kernel, acmeAdmin.headers, queued.json.id);
  t.match(job, { state: 'completed', mode: 'best_effort', rows: { read: 4, written: 2, rejected: 2 } });
  const keys = await kernel.database.forTenant('acme').query<{ key: string }>('SELECT key FROM import_note ORDER BY key');
  t.same(
    keys.map((r) => r.key),
    ['ok', 'ok2'],
  );
  const report = await download(job.artifactUrl);
  const lines = report.text.trim().split('\n');
  t.equal(lines[1], '2,priority,must be integer');
  t.match(lines[2], /^3,,"new row .*import_note_priority_check/, 'the database refusal names the row');
});

t.test('a dry run checks and writes in a transaction it rolls back', async (t) => {
  const { kernel, acmeAdmin } = await world(t);
  const queued = await upload(kernel, acmeAdmin.headers, 'kind=notes&dryRun=true', csv(['key,body', 'a,one', 'b,two']));
  t.equal(queued.json.dryRun, true);
  const job = await finishedJob(kernel, acmeAdmin.headers, queued.json.id);
  t.match(job, { state: 'completed', dryRun: true, rows: { read: 2, written: 0, rejected: 0 } });
  t.equal((await kernel.database.forTenant('acme').query('SELECT * FROM import_note')).length, 0);
});

t.test('JSON, NDJSON and YAML files stream in too; unreadable files fail with their reason', async (t) => {
  const { kernel, acmeAdmin } = await world(t);
  const json = await upload(
    kernel,
    acmeAdmin.headers,
    'kind=notes',
    JSON.stringify([
      { key: 'j1', body: 'json', priority: 5 },
      { key: 'j2', body: 'json' },
    ]),
    'application/json',
  );
  const ndjson = await upload(
    kernel,
    acmeAdmin.headers,
    'kind=notes&mode=best_effort',
    '{"key":"n1","body":"nd"}\nnot json\n\n{"key":"n2","body":"nd"}\n',
    'application/x-ndjson',
  );
  const yaml = await upload(
    kernel,
    acmeAdmin.headers,
    'kind=notes',
    '---\nkey: y1\nbody: yaml\n---\n- key: y2\n  body: in a list\n- key: y3\n  body: also\n',
    'application/yaml',
  );
  const broken = await upload(kernel, acmeAdmin.headers, 'kind=notes', '[{"key":"x","body":"y"},', 'application/json');
  t.match(await finishedJob(kernel, acmeAdmin.headers, json.json.id), { format: 'json', state: 'completed', rows: { written: 2 } });
  const nd = await finishedJob(kernel, acmeAdmin.headers, ndjson.json.id);
  t.match(nd, { format: 'ndjson', state: 'completed', rows: { read: 3, written: 2, rejected: 1 } });
  t.match((await download(nd.artifactUrl)).text, /^row,field,reason\n2,,"not valid JSON/);
  t.match(await finishedJob(kernel, acmeAdmin.headers, yaml.json.id), { format: 'yaml', state: 'completed', rows: { read: 3, written: 3 } });
  t.match(await finishedJob(kernel, acmeAdmin.headers, broken.json.id), { state: 'failed', errorCode: 'unreadable_file', errorMessage: /JSON cannot be read/ });
  const keys = await kernel.database.forTenant('acme').query<{ key: string }>('SELECT key FROM import_note ORDER BY key');
  t.same(
    keys.map((r) => r.key),
    ['j1', 'j2', 'n1', 'n2', 'y1', 'y2', 'y3'],
  );
});

t.test('bad input, no auth, wrong role, other workspace', async (t) => {
  const { kernel, acmeAdmin, acmeViewer, globexAdmin } = await world(t);
  const unknown = await upload(kernel, acmeAdmin.headers, 'kind=planets', 'a\n');
  t.equal(unknown.status, 400);
  t.match(unknown.json.error, { code: 'validation_failed', details: [{ path: '/query/kind', message: /notes/ }] });
  const noFormat = await upload(kernel, acmeAdmin.headers, 'kind=notes', 'a\n', 'application/octet-stream');
  t.match(noFormat.json.error, { code: 'validation_failed', details: [{ path: '/query/format' }] });
  t.equal((await upload(kernel, acmeAdmin.headers, 'kind=notes', '')).status, 400, 'an empty file');
  t.equal((await upload(kernel, acmeAdmin.headers, 'kind=notes&mode=sometimes', 'a\n')).status, 400);
  const noKey = await call(kernel, 'POST', '/api/v1/imports?kind=notes', {
    headers: { ...acmeAdmin.headers, 'content-type': 'text/csv' },
    raw: 'key,body\na,b\n',
  });
  t.equal(noKey.status, 400, 'Idempotency-Key is required');
  t.equal((await upload(kernel, {}, 'kind=notes', 'key,body\na,b\n')).status, 401);
  t.equal((await upload(kernel, acmeViewer.headers, 'kind=notes', 'key,body\na,b\n')).status, 403, 'a viewer cannot import');
  const queued = await upload(kernel, acmeAdmin.headers, 'kind=notes', 'key,body\na,b\n');
  const job = await finishedJob(kernel, acmeAdmin.headers, queued.json.id);
  t.equal((await call(kernel, 'GET', `/api/v1/jobs/${job.id}`, { headers: acmeViewer.headers })).status, 200, 'a viewer reads jobs');
  t.equal((await call(kernel, 'GET', `/api/v1/jobs/${job.id}`, { headers: globexAdmin.headers })).status, 404, "another workspace's job is not found");
  const globexList = await call(kernel, 'GET', '/api/v1/jobs', { headers: globexAdmin.headers });
  t.equal(globexList.json.page.total, 0);
  t.equal((await kernel.database.forTenant('globex').query('SELECT * FROM import_note')).length, 0);
  t.equal((await call(kernel, 'GET', '/api/v1/jobs?limit=5000', { headers: acmeAdmin.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/jobs', {})).status, 401);
  const kinds = await call(kernel, 'GET', '/api/v1/imports/kinds', { headers: acmeViewer.headers });
  t.match(kinds.json.data, [{ name: 'notes', plugin: 'notes_kind', columns: ['key', 'body', 'priority', 'labels'] }]);
});
