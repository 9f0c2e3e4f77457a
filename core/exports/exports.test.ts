import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { download, finishedJob, idem, notesPlugin } from '../imports/imports.testkit.ts';

t.test('an export streams the rows to a file behind a signed link; the file imports back', async (t) => {
  const { kernel, acmeAdmin, globexAdmin } = await startWorld(t, { plugins: [notesPlugin] });
  const db = kernel.database.forTenant('acme');
  await db.query(
    `INSERT INTO import_note (tenant_id, key, body, priority, labels) VALUES ('acme', 'a', 'x, "quoted"', 1, '{"k":"v"}'), ('acme', 'b', 'y', 2, NULL), ('acme', 'c', 'z', 3, NULL)`,
  );
  await kernel.database.forTenant('globex').query(`INSERT INTO import_note (tenant_id, key, body, priority) VALUES ('globex', 'secret', 'theirs', 1)`);
  const files: Record<string, string> = {};
  for (const format of ['csv', 'json', 'ndjson', 'yaml']) {
    const queued = await call(kernel, 'POST', '/api/v1/exports', { headers: { ...acmeAdmin.headers, ...idem() }, body: { kind: 'notes', format } });
    t.equal(queued.status, 202, queued.text);
    t.match(queued.json, { type: 'export', kind: 'notes', format, state: 'queued' });
    t.notOk('mode' in queued.json, 'exports have no import mode');
    const job = await finishedJob(kernel, acmeAdmin.headers, queued.json.id);
    t.match(job, { state: 'completed', rows: { read: 3, written: 3 }, artifactUrl: /^http:\/\/.+\/api\/v1\/artifacts\/.+\?expires=\d+&signature=/ });
    const file = await download(job.artifactUrl);
    t.equal(file.status, 200);
    t.notMatch(file.text, /secret|theirs/, "another workspace's rows never reach the file");
    files[format] = file.text;
  }
  const graphql = await call(kernel, 'POST', '/graphql', {
    headers: acmeAdmin.headers,
    body: { query: '{ jobs(type: "export", limit: 10) { id type kind format state rows artifactUrl } }' },
  });
  t.equal(graphql.json.data.jobs.length, 4, 'GraphQL lists the same jobs');
  t.match(graphql.json.data.jobs[0], { type: 'export', kind: 'notes', state: 'completed', rows: { written: 3 }, artifactUrl: /signature=/ });
  t.equal(files.csv, 'key,body,priority,labels\na,"x, ""quoted""",1,"{""k"":""v""}"\nb,y,2,\nc,z,3,\n');
  t.same(JSON.parse(files.json), [
    { key: 'a', body: 'x, "quoted"', priority: 1, labels: { k: 'v' } },
    { key: 'b', body: 'y', priority: 2, labels: null },
    { key: 'c', body: 'z', priority: 3, labels: null },
  ]);
  t.equal(files.ndjson.trim().split('\n').length, 3);
  t.match(files.yaml, /^---\nkey: a\n/);

  // The CSV goes back in unchanged (round trip), into the other workspace.
  const back = await call(kernel, 'POST', '/api/v1/imports?kind=notes', {
    headers: { ...globexAdmin.headers, ...idem(), 'content-type': 'text/csv' },
    raw: files.csv.replace(',2,\n', ',2,{}\n'),
  });
  t.match(await finishedJob(kernel, globexAdmin.headers, back.json.id), { state: 'completed', rows: { written: 3 } });
  const imported = await kernel.database.forTenant('globex').query('SELECT key, body, labels FROM import_note WHERE key = ?', ['a']);
  t.same(imported, [{ key: 'a', body: 'x, "quoted"', labels: { k: 'v' } }]);
});

t.test('signed links: a changed signature or id is refused, an expired link is gone; bad input and roles', async (t) => {
  const { kernel, acmeAdmin, acmeViewer, acmeOps } = await startWorld(t, { plugins: [notesPlugin] });
  const queued = await call(kernel, 'POST', '/api/v1/exports', { headers: { ...acmeOps.headers, ...idem() }, body: { kind: 'notes' } });
  t.equal(queued.status, 202, 'an ops engineer exports');
  const job = await finishedJob(kernel, acmeAdmin.headers, queued.json.id);
  const url = new URL(job.artifactUrl);
  t.equal((await download(url.href)).text, 'key,body,priority,labels\n', 'an empty export still has its header');
  const forged = new URL(url);
  forged.searchParams.set('signature', `${url.searchParams.get('signature')?.slice(0, -2)}xx`);
  t.equal((await download(forged.href)).status, 403);
  const later = new URL(url);
  later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
  t.equal((await download(later.href)).status, 403, 'the expiry is signed');
  await kernel.database.platform.query("UPDATE core_artifact SET expires_at = now() - interval '1 minute'");
  t.equal((await download(url.href)).status, 410, 'an expired file is gone');
  t.equal((await call(kernel, 'GET', `/api/v1/jobs/${job.id}`, { headers: acmeAdmin.headers })).json.artifactUrl, null, 'and the job offers no link');
  t.equal((await download(`${url.origin}/api/v1/artifacts/${crypto.randomUUID()}?expires=1&signature=x`)).status, 404);
  t.equal((await download(`${url.origin}/api/v1/artifacts/${crypto.randomUUID()}?expires=soon&signature=x`)).status, 400);

  const post = (headers: Record<string, string>, body: unknown) => call(kernel, 'POST', '/api/v1/exports', { headers: { ...headers, ...idem() }, body });
  t.equal((await post(acmeAdmin.headers, { kind: 'planets' })).status, 400);
  t.equal((await post(acmeAdmin.headers, { kind: 'notes', format: 'xml' })).status, 400);
  t.equal((await post({}, { kind: 'notes' })).status, 401);
  t.equal((await post(acmeViewer.headers, { kind: 'notes' })).status, 403);
});
