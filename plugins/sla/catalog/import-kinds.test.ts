import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import { download, finishedJob, idem } from '../../../core/imports/imports.testkit.ts';
import slaPlugin from '../plugin.ts';

type Kernel = Parameters<typeof call>[0];

function importFile(kernel: Kernel, headers: Record<string, string>, body: string, contentType = 'text/csv', query = '') {
  return call(kernel, 'POST', `/api/v1/imports?kind=services${query}`, { headers: { ...headers, ...idem(), 'content-type': contentType }, raw: body });
}

t.test('services import into the catalog (nodes, groups, tags), update by node and name, and export back', async (t) => {
  const { kernel, acmeAdmin, globexAdmin } = await startWorld(t, { plugins: [slaPlugin] });
  const csv = [
    'nodeId,name,displayName,criticality,tags,slaGroup,backupExpected,backupMaxAgeDays',
    'node-a,api,Public API,high,"[""web"",""edge""]",gold,true,2',
    'node-a,db,,critical,,gold,,',
    'node-b,cache,Cache,,[],,false,',
  ].join('\n');
  const queued = await importFile(kernel, acmeAdmin.headers, csv);
  t.equal(queued.status, 202, queued.text);
  t.match(await finishedJob(kernel, acmeAdmin.headers, queued.json.id), { state: 'completed', rows: { read: 3, written: 3, rejected: 0 } });
  const services = await kernel.database.forTenant('acme').query(
    `SELECT s.node_id, s.name, s.display_name, s.criticality, s.tags, g.name AS grp, s.backup_expected, s.backup_max_age_days, s.status
         FROM sla_service s LEFT JOIN sla_group g ON g.id = s.sla_group_id ORDER BY s.node_id, s.name`,
  );
  t.same(services, [
    {
      node_id: 'node-a',
      name: 'api',
      display_name: 'Public API',
      criticality: 'high',
      tags: ['web', 'edge'],
      grp: 'gold',
      backup_expected: true,
      backup_max_age_days: 2,
      status: 'UNKNOWN',
    },
    {
      node_id: 'node-a',
      name: 'db',
      display_name: null,
      criticality: 'critical',
      tags: [],
      grp: 'gold',
      backup_expected: false,
      backup_max_age_days: 1,
      status: 'UNKNOWN',
    },
    {
      node_id: 'node-b',
      name: 'cache',
      display_name: 'Cache',
      criticality: null,
      tags: [],
      grp: null,
      backup_expected: false,
      backup_max_age_days: 1,
      status: 'UNKNOWN',
    },
  ]);
  const templates = await call(kernel, 'GET', '/api/v1/templates/export?sections=services', { headers: acmeAdmin.headers });
  t.match(templates.text, /name: api/, "the SLA plugin's own templates export sees the imported services");

  // NDJSON updates only the fields it gives; a bad row is reported and (all-or-nothing) nothing changes.
  const update = await importFile(
    kernel,
    acmeAdmin.headers,
    '{"nodeId":"node-a","name":"api","criticality":"low"}\n{"nodeId":"node-a","name":"db","backupMaxAgeDays":0}\n',
    'application/x-ndjson',
  );
  const failed = await finishedJob(kernel, acmeAdmin.headers, update.json.id);
  t.match(failed, { state: 'failed', errorCode: 'rows_rejected', rows: { rejected: 1 } });
  t.equal((await download(failed.artifactUrl)).text, 'row,field,reason\n2,backupMaxAgeDays,must be >= 1\n');
  const fixed = await importFile(kernel, acmeAdmin.headers, '{"nodeId":"node-a","name":"api","criticality":"low"}\n', 'application/x-ndjson');
  await finishedJob(kernel, acmeAdmin.headers, fixed.json.id);
  const [api] = await kernel.database
    .forTenant('acme')
    .query<{ criticality: string; display_name: string; tags: string[] }>("SELECT criticality, display_name, tags FROM sla_service WHERE name = 'api'");
  t.same(api, { criticality: 'low', display_name: 'Public API', tags: ['web', 'edge'] }, 'fields the row leaves out keep their value');

  const exported = await call(kernel, 'POST', '/api/v1/exports', { headers: { ...acmeAdmin.headers, ...idem() }, body: { kind: 'services', format: 'json' } });
  const job = await finishedJob(kernel, acmeAdmin.headers, exported.json.id);
  const rows = JSON.parse((await download(job.artifactUrl)).text);
  t.match(rows, [
    { nodeId: 'node-a', name: 'api', displayName: 'Public API', criticality: 'low', tags: ['web', 'edge'], slaGroup: 'gold', backupExpected: true },
    { nodeId: 'node-a', name: 'db' },
    { nodeId: 'node-b', name: 'cache' },
  ]);
  // The export imports as it is into another workspace.
  const copy = await importFile(kernel, globexAdmin.headers, JSON.stringify(rows), 'application/json');
  t.match(await finishedJob(kernel, globexAdmin.headers, copy.json.id), { state: 'completed', rows: { written: 3 } });
  t.equal((await kernel.database.forTenant('globex').query('SELECT * FROM sla_service')).length, 3);

  const summary = await call(kernel, 'GET', '/api/v1/dashboard/summary', { headers: acmeAdmin.headers });
  t.match(summary.json.counters.sla, { services: 3, servicesUnknown: 3, servicesDown: 0, nodes: 2 });
});
