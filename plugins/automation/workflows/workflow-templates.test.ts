import t from 'tap';
import { parse, stringify } from 'yaml';
import { definePlugin, tokens } from '../../../core/plugin-api/index.ts';
import { call } from '../../../core/plugin-api/testing.ts';
import { login, memberPassword, startWorld } from '../../../core/testing/identity-fixtures.ts';
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

t.test('a workflows section needs the workflow permissions: a data admin may import templates, not workflows', async (t) => {
  const w = await startAutomation(t, { plugins: [slaPlugin] });
  const created = await call(w.kernel, 'POST', '/api/v1/users', {
    headers: w.admin.headers,
    body: { email: 'dana@acme.test', password: memberPassword, memberships: [{ tenantId: 'acme', role: 'data_admin' }] },
  });
  t.equal(created.status, 201, created.text);
  const dataAdmin = await login(w.kernel, 'dana@acme.test', memberPassword);
  const yaml = stringify({ apiVersion: 'itops/v1', kind: 'Templates', slaGroups: [{ name: 'gold', tier: 'critical' }], workflows: [workflow] });
  const importAs = (actor: { headers: Record<string, string> }, query = '') =>
    call(w.kernel, 'POST', `/api/v1/templates/import${query}`, { headers: actor.headers, body: { yaml } });

  for (const query of ['', '?dryRun=true']) {
    const refused = await importAs(dataAdmin, query);
    t.equal(refused.status, 403, refused.text);
    t.equal(refused.json.error.code, 'forbidden');
    t.match(refused.json.error.message, /automation\.workflows:write/, 'the answer names the permission');
  }
  t.equal((await w.read('/api/v1/workflows', w.acmeAdmin)).json.page.total, 0, 'no workflow was created');
  t.equal((await w.read('/api/v1/sla/groups', w.acmeAdmin)).json.data.length, 0, 'nor anything else of the document');

  // Without the section, the data admin imports as before.
  const slaOnly = await call(w.kernel, 'POST', '/api/v1/templates/import', {
    headers: dataAdmin.headers,
    body: { yaml: stringify({ apiVersion: 'itops/v1', kind: 'Templates', slaGroups: [{ name: 'gold', tier: 'critical' }] }) },
  });
  t.equal(slaOnly.status, 200, slaOnly.text);
  t.match(slaOnly.json, { created: { slaGroups: ['gold'] } });

  const ops = await importAs(w.acmeOps);
  t.equal(ops.status, 200, ops.text);
  t.match(ops.json, { created: { workflows: ['Restart on alert'] }, skipped: { slaGroups: ['gold'] } });
  t.match((await w.read('/api/v1/workflows', w.acmeOps)).json.data, [{ name: 'Restart on alert', version: 1 }]);

  // Export: data admins read workflows (automation.workflows:read), a role without it does not.
  const exported = await call(w.kernel, 'GET', '/api/v1/templates/export?sections=workflows', { headers: dataAdmin.headers });
  t.equal(exported.status, 200, exported.text);
  t.match(parse(exported.text).workflows, [{ name: 'Restart on alert' }]);
});

/** A section whose permissions only workspace admins hold (msp_admin holds every declared one). */
const guarded = definePlugin({
  id: 'guarded',
  version: '0.1.0',
  host: '>=0.1.0 <1.0.0',
  permissions: [
    { name: 'guarded:read', description: 'Read the guarded section' },
    { name: 'guarded:write', description: 'Write the guarded section' },
  ],
  init(ctx) {
    ctx.onUnload(
      ctx.get(tokens.templateSections).contribute({
        name: 'workflows',
        permissions: { import: 'guarded:write', export: 'guarded:read' },
        itemSchema: { type: 'object' },
        keyOf: (item) => String(item.name),
        export: async () => [{ name: 'secret' }],
        import: async (_tx, items, report) => {
          report.created.push(...items.map((item) => String(item.name)));
        },
      }),
    );
  },
});

t.test('export: a section named without its permission is refused, the default document leaves it out', async (t) => {
  const w = await startWorld(t, { plugins: [slaPlugin, guarded] as never });
  const exportAs = (actor: { headers: Record<string, string> }, query = '') =>
    call(w.kernel, 'GET', `/api/v1/templates/export${query}`, { headers: actor.headers });
  const named = await exportAs(w.acmeOps, '?sections=workflows');
  t.equal(named.status, 403, named.text);
  t.match(named.json.error.message, /guarded:read/);
  const plain = await exportAs(w.acmeOps);
  t.equal(plain.status, 200, plain.text);
  t.notOk('workflows' in parse(plain.text), 'the section the caller may not read is left out');
  t.same(parse((await exportAs(w.acmeAdmin)).text).workflows, [{ name: 'secret' }], 'an admin holding the permission gets it');
  const imported = await call(w.kernel, 'POST', '/api/v1/templates/import', {
    headers: w.acmeOps.headers,
    body: { yaml: stringify({ apiVersion: 'itops/v1', kind: 'Templates', workflows: [] }) },
  });
  t.equal(imported.status, 403, 'a section the document carries needs its permission even when empty');
  t.match(imported.json.error.message, /guarded:write/);
});
