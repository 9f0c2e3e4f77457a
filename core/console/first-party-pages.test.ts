import { readFileSync } from 'node:fs';
import t from 'tap';
import { discoverFirstParty } from '../kernel/plugin-discovery.ts';
import type { PluginManifest } from '../plugin-api/index.ts';
import { createFormOf, filtersOf, recordOf, sortableOf } from './contract-forms.ts';

// The bundled contract holds every first-party operation: each page's declaration must name what is in it.
const contract = JSON.parse(readFileSync(new URL('../../openapi/openapi.bundled.json', import.meta.url), 'utf8'));
const resolve = (schema: any): any =>
  schema?.$ref
    ? resolve(
        schema.$ref
          .slice(2)
          .split('/')
          .reduce((n: any, p: string) => n[p], contract),
      )
    : schema;
const propertiesOf = (schema: any): string[] => {
  const s = resolve(schema);
  return [...Object.keys(s?.properties ?? {}), ...(s?.allOf ?? []).flatMap(propertiesOf)];
};
/** The fields of a list answer's rows: the items of its array properties. */
const rowFields = (path: string): string[] => {
  const answer = resolve(contract.paths[path]?.get?.responses?.['200']?.content?.['application/json']?.schema);
  return [answer, ...(answer?.allOf ?? [])]
    .map(resolve)
    .flatMap((part) => Object.values<any>(part?.properties ?? {}).map(resolve))
    .filter((property) => property?.type === 'array')
    .flatMap((list) => propertiesOf(list.items));
};

t.test("first-party console pages name their contract's list paths, row fields and create operations", async (t) => {
  const manifests = (await discoverFirstParty('plugins')).map((p) => p.manifest as PluginManifest);
  const pages = manifests.flatMap((m) => (m.console?.pages ?? []).map((page) => ({ plugin: m.id, page })));
  t.ok(pages.length >= 15, `${pages.length} pages`);
  for (const { plugin, page } of pages) {
    if (page.list) t.ok(contract.paths[page.list]?.get, `${plugin}:${page.path}: GET ${page.list} is in the contract`);
    if (page.list && page.columns) {
      const fields = rowFields(page.list);
      t.same(
        page.columns.filter((c) => !fields.includes(c)),
        [],
        `${plugin}:${page.path}: every column is a field of the rows`,
      );
    }
    for (const declared of page.record?.lists ?? []) {
      const list = page.list ? recordOf(contract, plugin, page.list, page.record)?.lists?.find((l) => l.operationId === declared.operation) : undefined;
      t.ok(list, `${plugin}:${page.path}: ${declared.operation} is a GET below the row`);
      if (list && declared.columns)
        t.same(
          declared.columns.filter((c) => !rowFields(list.path).includes(c)),
          [],
          `${plugin}:${page.path}: ${declared.title}'s columns are fields of its rows`,
        );
    }
    for (const declared of page.record?.actions ?? []) {
      const found = page.list ? recordOf(contract, plugin, page.list, page.record)?.actions?.some((a) => a.operationId === declared.operation) : false;
      t.ok(found, `${plugin}:${page.path}: ${declared.operation} is a POST below the row`);
    }
    if (page.create) {
      const form = createFormOf(contract, plugin, page.create);
      t.ok(form, `${plugin}:${page.path}: ${page.create.operation} is the plugin's POST with a JSON body`);
      t.equal(form?.path, page.list, `${plugin}:${page.path}: it creates rows of the page's list`);
    }
  }
  const records = pages.filter((p) => p.page.list && recordOf(contract, p.plugin, p.page.list));
  t.ok(records.length >= 10, `${records.length} pages link their rows to a record view`);
  t.match(recordOf(contract, 'ticketing', '/api/v1/tickets'), {
    path: '/api/v1/tickets/{id}',
    param: 'id',
    permission: 'ticketing.tickets:read',
    update: { operationId: 'updateTicket', method: 'PATCH', permission: 'ticketing.tickets:write', schema: { required: ['version'] } },
    remove: { operationId: 'deleteTicket', permission: 'ticketing.tickets:delete' },
  });
  t.match(recordOf(contract, 'aiops', '/api/v1/anomalies'), { path: '/api/v1/anomalies/{anomaly_id}', param: 'anomaly_id' }, 'read only');
  t.notOk(recordOf(contract, 'aiops', '/api/v1/anomalies')?.update);
  t.match(
    filtersOf(contract, 'ticketing', '/api/v1/tickets'),
    [{ name: 'q' }, { name: 'status', options: ['new', 'open', 'pending', 'resolved', 'closed'] }, { name: 'priority' }, { name: 'type' }],
    "the tickets' search and choices, from the list operation's parameters",
  );
  t.same(sortableOf(contract, 'ticketing', '/api/v1/tickets'), ['createdAt', 'updatedAt', 'priority', 'status', 'title', 'resolutionDueAt']);
  t.ok(pages.filter((p) => p.page.create).length >= 6, 'tickets, clients, quotes, invoices, articles and workflows can be created from their pages');
});
