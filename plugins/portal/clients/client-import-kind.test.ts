import t from 'tap';
import { download, exportRows, finishedJob, importFile } from '../../../core/imports/imports.testkit.ts';
import { startPortal } from '../portal.testkit.ts';

t.test('clients: a customer list imports by name, keeps what a row leaves out, reports bad rows and exports back', async (t) => {
  const w = await startPortal(t);
  const existing = await w.write('POST', '/api/v1/clients', w.acmeOps, { name: 'Hooli', email: 'it@hooli.test', tags: ['gold'] });
  t.equal(existing.status, 201, existing.text);
  const csv = ['name,email,externalRef,status', 'hooli,,ACC-7,inactive', 'Pied Piper,ops@piedpiper.test,ACC-9,', 'Bad Mail,not-an-email,,'].join('\n');
  const queued = await importFile(w.kernel, w.acmeAdmin.headers, 'clients', csv, 'text/csv', '&mode=best_effort');
  t.equal(queued.status, 202, queued.text);
  const job = await finishedJob(w.kernel, w.acmeAdmin.headers, queued.json.id);
  t.match(job, { state: 'completed', rows: { read: 3, written: 2, rejected: 1 } });
  t.match((await download(job.artifactUrl)).text, /\n3,email,/);

  const hooli = (await w.read(`/api/v1/clients/${existing.json.id}`, w.acmeOps)).json;
  t.match(
    hooli,
    { name: 'Hooli', email: 'it@hooli.test', externalRef: 'ACC-7', status: 'inactive', tags: ['gold'], version: 2 },
    'updated by name in any case, the rest kept',
  );
  t.same(
    (await exportRows(w.kernel, w.acmeAdmin.headers, 'clients')).filter((r) => r.externalRef).map((r) => [r.name, r.status, r.externalRef]),
    [
      ['Hooli', 'inactive', 'ACC-7'],
      ['Pied Piper', 'active', 'ACC-9'],
    ],
  );
  t.same((await w.read('/api/v1/clients', w.globexAdmin)).json.data, [], 'the other workspace has none');
  t.equal((await importFile(w.kernel, w.acmeViewer.headers, 'clients', csv, 'text/csv')).status, 403, 'a viewer cannot import');
});
