import t from 'tap';
import { parse } from 'yaml';
import { call } from '../../../core/plugin-api/testing.ts';
import slaPlugin from '../../sla/plugin.ts';
import { startAutomation } from '../automation.testkit.ts';

const workflow = {
  name: 'Restart on alert',
  description: 'Calls the restart hook',
  trigger: { type: 'event', topic: 'ticket.created', filter: { priority: 'urgent' } },
  steps: [
    { id: 'pick', type: 'SET_VARIABLE', variable: 'service', value: '{{ $.input.service }}' },
    { id: 'restart', type: 'HTTP_REQUEST', url: 'https://hooks.example.test/restart/{{ $.vars.service }}', method: 'POST', retrySafe: true },
  ],
};

t.test('the templates document carries workflows: exported, imported into another workspace, re-imported as skipped', async (t) => {
  const w = await startAutomation(t, { plugins: [slaPlugin] });
  const kernel = w.kernel;
  t.equal((await w.write('POST', '/api/v1/workflows', w.acmeOps, workflow)).status, 201);
  const exported = await call(kernel, 'GET', '/api/v1/templates/export?sections=workflows', { headers: w.acmeOps.headers });
  t.equal(exported.status, 200, exported.text);
  const doc = parse(exported.text);
  t.same(doc, { apiVersion: 'itops/v1', kind: 'Templates', workflows: [{ ...workflow, enabled: true }] });

  const dry = await call(kernel, 'POST', '/api/v1/templates/import?dryRun=true', { headers: w.globexAdmin.headers, body: { yaml: exported.text } });
  t.equal(dry.status, 200, dry.text);
  t.match(dry.json, { dryRun: true, created: { workflows: ['Restart on alert'] } });
  t.equal((await w.read('/api/v1/workflows', w.globexAdmin)).json.page.total, 0, 'a dry run writes nothing');

  const imported = await call(kernel, 'POST', '/api/v1/templates/import', { headers: w.globexAdmin.headers, body: { yaml: exported.text } });
  t.match(imported.json, { dryRun: false, created: { workflows: ['Restart on alert'] }, updated: { workflows: [] } });
  const { json: list } = await w.read('/api/v1/workflows', w.globexAdmin);
  t.match(list.data, [{ ...workflow, version: 1 }]);
  const again = await call(kernel, 'POST', '/api/v1/templates/import', { headers: w.globexAdmin.headers, body: { yaml: exported.text } });
  t.match(again.json, { created: { workflows: [] }, updated: { workflows: [] }, skipped: { workflows: ['Restart on alert'] } });

  // A changed definition is a new version of the workflow of that name.
  const changed = exported.text.replace('Calls the restart hook', 'Calls the restart hook twice');
  const updated = await call(kernel, 'POST', '/api/v1/templates/import', { headers: w.globexAdmin.headers, body: { yaml: changed } });
  t.match(updated.json, { updated: { workflows: ['Restart on alert'] } });
  const { json: versions } = await w.read(`/api/v1/workflows/${list.data[0].id}/versions`, w.globexAdmin);
  t.match(versions.data, [{ version: 2, createdBy: 'templates import' }, { version: 1 }]);
});

t.test('workflows in a templates document are validated like the API validates them', async (t) => {
  const w = await startAutomation(t, { plugins: [slaPlugin] });
  const head = 'apiVersion: itops/v1\nkind: Templates\n';
  const refused = async (yaml: string) => {
    const answer = await call(w.kernel, 'POST', '/api/v1/templates/import', { headers: w.acmeOps.headers, body: { yaml } });
    t.equal(answer.status, 400, answer.text);
    t.equal(answer.json.error.code, 'validation_failed');
    return answer.json.error.details;
  };
  t.match(await refused(`${head}workflows:\n  - { name: x, trigger: { type: manual }, steps: [ { id: a, type: RUN_SHELL } ] }\n`), [
    { path: /^\/workflows\/0/ },
  ]);
  t.match(await refused(`${head}workflows:\n  - { name: x, trigger: { type: event }, steps: [ { id: a, type: DELAY, seconds: 1 } ] }\n`), [
    { path: '/workflows/0/trigger/topic', message: /topic/ },
  ]);
  const twice = '  - { name: x, trigger: { type: manual }, steps: [ { id: a, type: DELAY, seconds: 1 } ] }\n';
  t.match(await refused(`${head}workflows:\n${twice}${twice}`), [{ path: '/workflows/1/name' }]);
  t.equal((await w.read('/api/v1/workflows', w.acmeOps)).json.page.total, 0);
});
