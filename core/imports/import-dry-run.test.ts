import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { download, finishedJob, idem, notesPlugin } from './imports.testkit.ts';

const csv = (lines: string[]) => `${lines.join('\n')}\n`;
const badFile = csv(['key,body,priority', 'kept,changed by the dry run,1', ',missing key,2', 'bad,priority,high', 'db,refused by the table,150', 'new,fine,3']);

t.test('a dry run with bad rows gives the error report and writes nothing, in either mode', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [notesPlugin] });
  const acme = kernel.database.forTenant('acme');
  await acme.query(`INSERT INTO import_note (tenant_id, key, body, priority) VALUES ('acme', 'kept', 'as it was', 1)`);
  const dryRun = async (mode: string) => {
    const queued = await call(kernel, 'POST', `/api/v1/imports?kind=notes&dryRun=true&mode=${mode}`, {
      headers: { ...acmeAdmin.headers, ...idem(), 'content-type': 'text/csv' },
      raw: badFile,
    });
    t.equal(queued.status, 202, queued.text);
    return finishedJob(kernel, acmeAdmin.headers, queued.json.id);
  };

  const strict = await dryRun('all_or_nothing');
  t.match(strict, {
    state: 'completed',
    dryRun: true,
    mode: 'all_or_nothing',
    rows: { read: 5, written: 0, rejected: 2 },
    errorCode: null,
    artifactUrl: /\/api\/v1\/artifacts\//,
  });
  t.equal(
    (await download(strict.artifactUrl)).text,
    csv(['row,field,reason', "2,key,must have required property 'key'", '3,priority,must be integer']),
    'the report names each rejected row, field and reason',
  );

  // Best effort writes the good rows inside the rolled-back transaction, so the table's own refusals are reported too.
  const lenient = await dryRun('best_effort');
  t.match(lenient, {
    state: 'completed',
    dryRun: true,
    mode: 'best_effort',
    rows: { read: 5, written: 0, rejected: 3 },
    artifactUrl: /\/api\/v1\/artifacts\//,
  });
  const lines = (await download(lenient.artifactUrl)).text.trim().split('\n');
  t.same(lines.slice(0, 3), ['row,field,reason', "2,key,must have required property 'key'", '3,priority,must be integer']);
  t.match(lines[3], /^4,,"new row .*import_note_priority_check/, 'the row the table refused');

  t.same(
    await acme.query('SELECT key, body FROM import_note ORDER BY key'),
    [{ key: 'kept', body: 'as it was' }],
    'no row was added or changed by either dry run',
  );
});
