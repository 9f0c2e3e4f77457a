import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import slaPlugin from '../plugin.ts';

t.test('every SLA read: no auth, wrong role, bad input, and only the caller’s workspace', async (t) => {
  const { kernel, acmeAdmin, acmeViewer, globexAdmin } = await startWorld(t, { plugins: [slaPlugin] });
  const key = (await call(kernel, 'POST', '/api/v1/apikeys', { headers: acmeAdmin.headers, body: { name: 'agent', scope: 'ingestion' } })).json.api_key;
  const agent = { 'x-api-key': key };
  await call(kernel, 'POST', '/api/v1/health/report', {
    headers: agent,
    body: { service: 'db', nodeId: 'acme/dc1', status: 'DOWN', slaGroup: 'core', tags: ['database'] },
  });
  const [{ id }] = await kernel.database.query<{ id: string }>('SELECT id FROM sla_service');
  const reads: [string, string | undefined][] = [
    ['/api/v1/sla/services', '/api/v1/sla/services?limit=0'],
    [`/api/v1/sla/services/${id}`, '/api/v1/sla/services/not-a-uuid'],
    [`/api/v1/sla/services/${id}/trend`, `/api/v1/sla/services/${id}/trend?hoursBack=721`],
    [`/api/v1/sla/services/${id}/incidents`, `/api/v1/sla/services/${id}/incidents?offset=-1`],
    ['/api/v1/sla/groups', undefined],
    ['/api/v1/sla/trend', '/api/v1/sla/trend?monthsBack=37'],
    ['/api/v1/sla/dashboard', undefined],
    ['/api/v1/sla/nodes', undefined],
    ['/api/v1/sla/exclusion-windows', '/api/v1/sla/exclusion-windows?active=maybe'],
  ];
  for (const [path, bad] of reads) {
    const ok = await call(kernel, 'GET', path, { headers: acmeViewer.headers });
    t.equal(ok.status, 200, `viewer reads ${path}`);
    t.equal((await call(kernel, 'GET', path)).status, 401, `${path} without credentials`);
    const denied = await call(kernel, 'GET', path, { headers: agent });
    t.equal(denied.status, 403, `an ingestion key cannot read ${path}`);
    if (bad) {
      const refused = await call(kernel, 'GET', bad, { headers: acmeViewer.headers });
      t.equal(refused.status, 400, `bad input: ${bad}`);
      t.equal(refused.json.error.code, 'validation_failed');
    }
  }
  for (const path of [`/api/v1/sla/services/${id}`, `/api/v1/sla/services/${id}/trend`, `/api/v1/sla/services/${id}/incidents`]) {
    t.equal((await call(kernel, 'GET', path, { headers: globexAdmin.headers })).status, 404, `another workspace: ${path}`);
  }
  const globex = async (path: string) => (await call(kernel, 'GET', path, { headers: globexAdmin.headers })).json;
  t.equal((await globex('/api/v1/sla/services')).page.total, 0);
  t.same((await globex('/api/v1/sla/groups')).data, []);
  t.same((await globex('/api/v1/sla/nodes')).data, []);
  t.match(await globex('/api/v1/sla/dashboard'), { totalServices: 0, servicesWithSla: 0 });

  const filtered = await call(kernel, 'GET', '/api/v1/sla/services?status=DOWN&slaGroup=core&tag=database&sortBy=statusChangedAt&sortOrder=desc', {
    headers: acmeViewer.headers,
  });
  t.match(filtered.json, {
    page: { total: 1 },
    filters: { status: 'DOWN', slaGroup: 'core', tag: 'database' },
    sort: { by: 'statusChangedAt', order: 'desc' },
  });
  t.equal((await call(kernel, 'GET', '/api/v1/sla/services?status=OPERATIONAL', { headers: acmeViewer.headers })).json.page.total, 0);
});
