import t from 'tap';
import { parse } from 'yaml';
import type { PlatformEvent } from '../../../core/plugin-api/index.ts';
import { call, servicesProbe } from '../../../core/plugin-api/testing.ts';
import { eventually } from '../../../core/testing/eventually.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import slaPlugin from '../plugin.ts';

type Kernel = Parameters<typeof call>[0];
const exportPath = '/api/v1/templates/export';
const importPath = '/api/v1/templates/import';
const cluster = 'myorg/platform/prod/cluster1';
const baremetal = 'myorg/infra/prod/baremetal';

async function world(t: { teardown(fn: () => unknown): void }) {
  const probe = servicesProbe('templates_probe');
  const p = { plugin: probe.plugin, db: () => probe.services().database, events: () => probe.services().events };
  const w = await startWorld(t, { plugins: [slaPlugin, p.plugin] });
  /** Every event of a workspace, in delivery order. */
  const eventsOf = (tenantId: string) => {
    const seen: PlatformEvent[] = [];
    t.teardown(p.events().subscribe((e) => seen.push(e), { tenantId }));
    return seen;
  };
  /** What an import may leave behind, beyond the catalog itself: transitions, incidents, last write times. */
  const footprint = async (tenantId: string) =>
    (
      await p.db().platform.query(
        `SELECT (SELECT count(*) FROM sla_status_transition WHERE tenant_id = ?)::int AS transitions,
                (SELECT count(*) FROM sla_incident WHERE tenant_id = ?)::int AS incidents,
                (SELECT count(*) FROM sla_tier WHERE tenant_id = ?)::int AS tiers,
                (SELECT max(updated_at) FROM sla_service WHERE tenant_id = ?) AS services_at,
                (SELECT max(updated_at) FROM sla_group WHERE tenant_id = ?) AS groups_at`,
        [tenantId, tenantId, tenantId, tenantId, tenantId],
      )
    )[0];
  return { ...w, eventsOf, footprint };
}

/** The seeded acme catalog, written the way agents and pushes write it. */
async function seed(kernel: Kernel, headers: Record<string, string>) {
  const answers = [
    await call(kernel, 'POST', '/api/v1/operator/status', {
      headers,
      body: {
        nodeId: cluster,
        operatorVersion: '1.0.0',
        services: [{ name: 'my-api', status: 'OPERATIONAL', replicas: 3, readyReplicas: 3, slaGroup: 'payment-system', workloadType: 'Deployment' }],
        slaGroups: [{ name: 'payment-system', displayName: 'Payment System', tier: 'critical' }],
      },
    }),
    await call(kernel, 'POST', '/api/v1/operator/register', {
      headers,
      body: {
        name: 'my-database',
        displayName: 'My Database',
        nodeId: cluster,
        criticality: 'critical',
        serviceType: 'database',
        namespace: 'production',
        tags: ['database'],
        slaGroup: 'payment-system',
        operations: { backup: { expected: true, maxAgeDays: 1 } },
      },
    }),
    await call(kernel, 'POST', '/api/v1/health/report', {
      headers,
      body: {
        service: 'galera-node1',
        nodeId: baremetal,
        status: 'OPERATIONAL',
        message: 'wsrep_cluster_size=3',
        criticality: 'critical',
        slaGroup: 'database-cluster',
        serviceType: 'database',
        tags: ['database', 'baremetal'],
      },
    }),
  ];
  for (const a of answers) if (a.status >= 300) throw new Error(`seed: ${a.status} ${a.text}`);
}

const exportOf = async (kernel: Kernel, headers: Record<string, string>, query = '') => {
  const response = await call(kernel, 'GET', `${exportPath}${query}`, { headers });
  if (response.status !== 200) throw new Error(`export: ${response.status} ${response.text}`);
  return response.text;
};

const importYaml = (kernel: Kernel, headers: Record<string, string>, yaml: string, dryRun?: boolean) =>
  call(kernel, 'POST', `${importPath}${dryRun === undefined ? '' : `?dryRun=${dryRun}`}`, { headers, body: { yaml } });

const names = (slaTiers: string[] = [], slaGroups: string[] = [], services: string[] = []) => ({ slaTiers, slaGroups, services });
const defaultTiers = ['critical', 'high', 'standard', 'low'];
const seededServices = [`${baremetal}/galera-node1`, `${cluster}/my-api`, `${cluster}/my-database`];

const seededDocument = {
  apiVersion: 'itops/v1',
  kind: 'Templates',
  slaTiers: { critical: 99.95, high: 99.9, standard: 99.5, low: 99 },
  slaGroups: [
    { name: 'database-cluster', tier: 'standard' },
    { name: 'payment-system', displayName: 'Payment System', tier: 'critical' },
  ],
  services: [
    {
      name: 'galera-node1',
      nodeId: baremetal,
      criticality: 'critical',
      serviceType: 'database',
      tags: ['baremetal', 'database'],
      slaGroup: 'database-cluster',
      operations: { backup: { expected: false, maxAgeDays: 1 } },
    },
    { name: 'my-api', nodeId: cluster, tags: [], slaGroup: 'payment-system', operations: { backup: { expected: false, maxAgeDays: 1 } } },
    {
      name: 'my-database',
      nodeId: cluster,
      displayName: 'My Database',
      criticality: 'critical',
      serviceType: 'database',
      namespace: 'production',
      tags: ['database'],
      slaGroup: 'payment-system',
      operations: { backup: { expected: true, maxAgeDays: 1 } },
    },
  ],
};

t.test('export writes the workspace catalog and SLA definitions as a sorted, stable YAML document', async (t) => {
  const { kernel, acmeOps, acmeAdmin } = await world(t);
  await seed(kernel, acmeOps.headers);

  const response = await call(kernel, 'GET', exportPath, { headers: acmeOps.headers });
  t.equal(response.status, 200, response.text);
  t.match(response.headers.get('content-type'), /^application\/yaml/);
  t.same(parse(response.text), seededDocument, 'tiers (the defaults), groups and services, sorted, without runtime state');
  t.notMatch(response.text, /OPERATIONAL|status|replicas|wsrep/, 'statuses and agent-reported state are not part of a template');
  t.equal(await exportOf(kernel, acmeAdmin.headers), response.text, 'a second export is byte for byte the same');

  t.same(parse(await exportOf(kernel, acmeOps.headers, '?sections=slaGroups')), {
    apiVersion: 'itops/v1',
    kind: 'Templates',
    slaGroups: seededDocument.slaGroups,
  });
  t.same(Object.keys(parse(await exportOf(kernel, acmeOps.headers, '?sections=services,slaTiers'))), ['apiVersion', 'kind', 'slaTiers', 'services']);

  const bad = await call(kernel, 'GET', `${exportPath}?sections=workflows`, { headers: acmeOps.headers });
  t.equal(bad.status, 400);
  t.match(bad.json, { error: { code: 'validation_failed', details: [{ path: '/sections' }] } });
});

t.test('round trip: export, dry run, import into another workspace, export equal; a second import skips everything', async (t) => {
  const { kernel, acmeOps, globexAdmin, eventsOf, footprint } = await world(t);
  await seed(kernel, acmeOps.headers);
  const acmeYaml = await exportOf(kernel, acmeOps.headers);
  const globexEvents = eventsOf('globex');
  const emptyGlobex = await exportOf(kernel, globexAdmin.headers);
  t.same(parse(emptyGlobex), { ...seededDocument, slaGroups: [], services: [] }, 'globex starts with the default tiers only');
  const before = await footprint('globex');

  const dry = await call(kernel, 'POST', `${importPath}?dryRun=true`, { headers: globexAdmin.headers, body: { yaml: acmeYaml } });
  t.equal(dry.status, 200, dry.text);
  const expected = {
    created: names([], ['database-cluster', 'payment-system'], seededServices),
    updated: names(),
    skipped: names(defaultTiers.toSorted(), [], []),
  };
  t.same(dry.json, { dryRun: true, ...expected }, 'the dry run reports what it would do');
  t.equal(await exportOf(kernel, globexAdmin.headers), emptyGlobex, 'a dry run changes nothing');
  t.same(await footprint('globex'), before, 'no transition, incident or tier row was kept');

  const real = await importYaml(kernel, globexAdmin.headers, acmeYaml, false);
  t.equal(real.status, 200, real.text);
  t.same(real.json, { dryRun: false, ...expected }, 'the real import reports exactly what the dry run did');
  t.equal(await exportOf(kernel, globexAdmin.headers), acmeYaml, 'globex now exports the same document as acme');
  const created = await call(kernel, 'GET', '/api/v1/operator/services?nodeId=' + encodeURIComponent(cluster), { headers: globexAdmin.headers });
  t.match(
    created.json,
    {
      services: [
        { name: 'my-api', status: 'UNKNOWN' },
        { name: 'my-database', status: 'UNKNOWN' },
      ],
    },
    'new services wait for a report',
  );

  const afterFirst = await footprint('globex');
  const secondStarted = Date.now();
  const second = await importYaml(kernel, globexAdmin.headers, acmeYaml);
  t.equal(second.status, 200, second.text);
  t.same(second.json, {
    dryRun: false,
    created: names(),
    updated: names(),
    skipped: names(defaultTiers.toSorted(), ['database-cluster', 'payment-system'], seededServices),
  });
  t.same(await footprint('globex'), afterFirst, 'nothing was written: no transition, no incident, no row touched');
  // A later change's event marks the end of what the second import could have published.
  const markerStarted = Date.now();
  await call(kernel, 'POST', '/api/v1/health/report', { headers: globexAdmin.headers, body: { service: 'my-api', nodeId: cluster, status: 'OPERATIONAL' } });
  t.ok(await eventually(() => globexEvents.find((e) => e.topic === 'service:status_changed')), 'the marker event arrived');
  const during = globexEvents.filter((e) => Date.parse(e.createdAt) >= secondStarted && Date.parse(e.createdAt) < markerStarted);
  t.same(
    during.map((e) => e.topic),
    [],
    'the second import published no event',
  );
  const marker = globexEvents.find((e) => e.topic === 'service:status_changed') as PlatformEvent;
  t.ok(Date.parse(marker.createdAt) >= markerStarted, 'event times and the test clock agree, so the window above is the right one');
});

t.test('an import updates what differs, creates what is new, keeps what it does not mention, and leaves other workspaces alone', async (t) => {
  const { kernel, acmeOps, acmeAdmin, globexAdmin } = await world(t);
  await seed(kernel, acmeOps.headers);
  const acmeBefore = await exportOf(kernel, acmeOps.headers);
  await seed(kernel, globexAdmin.headers);

  const yaml = `
apiVersion: itops/v1
kind: Templates
slaTiers: { critical: 99.99, high: 99.9, gold: 99.98 }
slaGroups:
  - { name: payment-system, displayName: Payments, tier: gold, targetPercent: 99.97 }
  - { name: reporting, tier: low }
services:
  - name: my-database
    nodeId: ${cluster}
    tags: [database, primary]
    operations: { backup: { maxAgeDays: 2 } }
  - name: my-api
    nodeId: ${cluster}
    slaGroup: payment-system
  - name: report-builder
    nodeId: myorg/analytics/prod/cluster2
    displayName: Report Builder
    slaGroup: reporting
workflows: []
`;
  const imported = await importYaml(kernel, globexAdmin.headers, yaml);
  t.equal(imported.status, 200, imported.text);
  t.same(imported.json, {
    dryRun: false,
    created: names(['gold'], ['reporting'], ['myorg/analytics/prod/cluster2/report-builder']),
    updated: names(['critical'], ['payment-system'], [`${cluster}/my-database`]),
    skipped: names(['high'], [], [`${cluster}/my-api`]),
  });

  const globex = parse(await exportOf(kernel, globexAdmin.headers));
  t.same(globex.slaTiers, { critical: 99.99, gold: 99.98, high: 99.9, standard: 99.5, low: 99 }, 'own targets over the defaults, strictest first');
  t.same(globex.slaGroups, [
    { name: 'database-cluster', tier: 'standard' },
    { name: 'payment-system', displayName: 'Payments', tier: 'gold', targetPercent: 99.97 },
    { name: 'reporting', tier: 'low' },
  ]);
  const database = globex.services.find((s: { name: string }) => s.name === 'my-database');
  t.same(
    database,
    { ...seededDocument.services[2], tags: ['database', 'primary'], operations: { backup: { expected: true, maxAgeDays: 2 } } },
    'given fields change, the others keep their value',
  );
  t.match(
    globex.services.find((s: { name: string }) => s.name === 'report-builder'),
    { displayName: 'Report Builder', slaGroup: 'reporting' },
  );
  t.equal(globex.services.length, 4, 'services the document does not list stay');

  t.equal(await exportOf(kernel, acmeAdmin.headers), acmeBefore, "globex's import did not touch acme");
  const unknownGroup = await importYaml(kernel, acmeOps.headers, yaml.replace('  - { name: reporting, tier: low }\n', ''));
  t.equal(unknownGroup.status, 400, 'acme cannot lean on a group that only globex has');
  t.same(unknownGroup.json.error.details, [{ path: '/services/2/slaGroup', message: 'SLA group reporting is neither in slaGroups nor in the workspace' }]);
  t.equal(await exportOf(kernel, acmeAdmin.headers), acmeBefore, 'a refused import changes nothing');

  const crossTenant = await importYaml(kernel, { ...globexAdmin.headers, 'x-workspace-id': 'acme' }, yaml);
  t.equal(crossTenant.status, 404, "globex's admin cannot import into acme (another workspace answers 404)");
  t.equal(await exportOf(kernel, acmeAdmin.headers), acmeBefore);
});

t.test('bad documents answer 400 validation_failed with the paths at fault', async (t) => {
  const { kernel, acmeOps } = await world(t);
  const refused = async (yaml: string) => {
    const response = await importYaml(kernel, acmeOps.headers, yaml);
    t.equal(response.status, 400, response.text);
    t.equal(response.json?.error?.code, 'validation_failed');
    return response.json.error.details as { path: string; message: string }[];
  };
  const head = 'apiVersion: itops/v1\nkind: Templates\n';

  t.match(await refused(`${head}services: [ { name: a\n`), [{ path: '/', message: String }], 'not YAML');
  t.match(await refused(`${head}kind: Templates\n`), [{ path: '/', message: /unique/ }], 'duplicate keys');
  t.match(await refused('- just\n- a list\n'), [{ path: '/', message: 'must be object' }]);
  t.same(await refused('apiVersion: itops/v2\nkind: Templates\n'), [{ path: '/apiVersion', message: 'must be itops/v1' }]);
  t.same(await refused(`${head}---\n${head}`), [{ path: '/', message: 'holds several YAML documents; send one' }]);

  const schema = await refused(
    `${head}slaTiers: { critical: 120 }
slaGroups:
  - { name: ok, tier: critical }
  - { displayName: No name }
services:
  - { name: a, nodeId: ${cluster} }
  - { name: b, nodeId: ${cluster}, tags: database }
  - { name: c, nodeId: "bad node id" }
  - { name: d, nodeid: ${cluster}, operations: { backup: { maxAgeDays: 0 } } }
`,
  );
  t.same(
    schema.map((d) => d.path).sort(),
    [
      '/services/1/tags',
      '/services/2/nodeId',
      '/services/3/nodeId',
      '/services/3/nodeid',
      '/services/3/operations/backup/maxAgeDays',
      '/slaGroups/1/name',
      '/slaTiers/critical',
    ].sort(),
  );
  t.match(
    schema.find((d) => d.path === '/services/3/nodeId'),
    { message: 'is required' },
  );
  t.match(
    schema.find((d) => d.path === '/services/3/nodeid'),
    { message: /not a known field/ },
  );

  t.same(await refused(`${head}slaGroups: [ { name: g }, { name: g } ]\nservices:\n  - { name: a, nodeId: n1 }\n  - { name: a, nodeId: n1 }\n`), [
    { path: '/slaGroups/1/name', message: 'g is already listed at /slaGroups/0' },
    { path: '/services/1/name', message: 'n1/a is already listed at /services/0' },
  ]);
  t.match(await refused(`${head}workflows: [ { name: nightly-backup } ]\n`), [{ path: '/workflows', message: /reserved for the workflows feature/ }]);
  t.match(await refused(`${head}services: [ { name: a, nodeId: n1, slaGroup: nowhere } ]\n`), [{ path: '/services/0/slaGroup' }]);

  // A "billion laughs" document: a few lines that expand to millions of nodes.
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    levels.push(
      `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(10)
        .fill(`*${'abcdefghij'[i - 1]}`)
        .join(', ')}]`,
    );
  t.match(await refused(`${head}${levels.join('\n')}\n`), [{ path: '/', message: /alias/i }], 'alias expansion is capped');

  t.match(await refused('   \n'), [{ path: '/', message: 'is empty' }]);
  const contract = await call(kernel, 'POST', importPath, { headers: acmeOps.headers, body: { yaml: head, extra: true } });
  t.equal(contract.status, 400, 'the JSON body is checked by the contract');
  const badFlag = await call(kernel, 'POST', `${importPath}?dryRun=maybe`, { headers: acmeOps.headers, body: { yaml: head } });
  t.equal(badFlag.status, 400);

  t.same(parse(await exportOf(kernel, acmeOps.headers)).services, [], 'nothing was imported');
  const minimal = await call(kernel, 'POST', importPath, { headers: acmeOps.headers, body: { yaml: head } });
  t.same(minimal.json, { dryRun: false, created: names(), updated: names(), skipped: names() }, 'an empty document is valid and does nothing');
});

t.test('both operations need a caller with the templates permissions', async (t) => {
  const { kernel, acmeViewer, acmeOps } = await world(t);
  const yaml = 'apiVersion: itops/v1\nkind: Templates\nslaTiers: { gold: 99.98 }\n';
  for (const [method, path, options] of [
    ['GET', exportPath, {}],
    ['POST', importPath, { body: { yaml } }],
  ] as const) {
    const anonymous = await call(kernel, method, path, options);
    t.equal(anonymous.status, 401, `${method} ${path} without credentials`);
    t.equal(anonymous.json?.error?.code, 'unauthorized');
    const viewer = await call(kernel, method, path, { ...options, headers: acmeViewer.headers });
    t.equal(viewer.status, 403, `${method} ${path} as a viewer`);
    t.equal(viewer.json?.error?.code, 'forbidden');
  }
  t.same(parse(await exportOf(kernel, acmeOps.headers)).slaTiers.gold, undefined, 'the refused import wrote nothing');
});

t.test('a text/plain body carries the document as it is', async (t) => {
  const { kernel, acmeOps } = await world(t);
  const response = await call(kernel, 'POST', `${importPath}?dryRun=true`, {
    headers: { ...acmeOps.headers, 'content-type': 'text/plain' },
    raw: 'apiVersion: itops/v1\nkind: Templates\nslaTiers: { gold: 99.98 }\n',
  });
  t.equal(response.status, 200, response.text);
  t.same(response.json, { dryRun: true, created: names(['gold']), updated: names(), skipped: names() });
});
