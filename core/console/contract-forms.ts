import type { ConsolePageDeclaration } from '../plugin-api/index.ts';

/**
 * What `GET /api/v1/console/pages` says of a page beyond its declaration, read from the loaded
 * contract (the console has no resolver of its own): a declared create form (ConsoleCreateForm in
 * the contract), the record view of the list's rows (ConsoleRecord) and the list's filters. All
 * first-party pages together come to about 34 KB of JSON, most of it the workflow form's schema.
 */
export interface CreateFormView {
  operationId: string;
  label: string;
  method: 'POST';
  path: string;
  permission: string;
  schema: Record<string, unknown>;
}

export interface RecordView {
  path: string;
  param: string;
  permission: string;
  update?: { operationId: string; method: 'PATCH' | 'PUT'; permission: string; schema: Record<string, unknown> };
  remove?: { operationId: string; permission: string };
  actions?: { operationId: string; label: string; path: string; permission: string; schema?: Record<string, unknown> }[];
  lists?: { operationId: string; title: string; path: string; permission: string; columns?: string[] }[];
}

type Document = Record<string, any>;
type Operation = Record<string, any>;

// The document changes only when a plugin loads or unloads: each answer is worked out once per document.
const answers = new WeakMap<Document, Map<string, unknown>>();

function once<T>(document: Document, key: string, work: () => T): T {
  let known = answers.get(document);
  if (!known) {
    known = new Map();
    answers.set(document, known);
  }
  if (!known.has(key)) known.set(key, work());
  return known.get(key) as T;
}

/**
 * The form of a page's `create` declaration: the plugin's own `POST` operation of that id, with its
 * permission and JSON request schema. Undefined when the operation is not there (the page then shows
 * no button rather than a form the API would refuse).
 */
export function createFormOf(document: Document, plugin: string, create: NonNullable<ConsolePageDeclaration['create']>): CreateFormView | undefined {
  return once(document, `create\u0000${plugin}\u0000${create.operation}\u0000${create.label}`, () => {
    for (const [path, item] of Object.entries<Record<string, Operation>>(document.paths ?? {})) {
      const operation = item?.post;
      if (operation?.operationId !== create.operation || operation['x-plugin'] !== plugin) continue;
      const form = formOf(document, operation);
      return form && { operationId: create.operation, label: create.label, method: 'POST' as const, path, ...form };
    }
    return undefined;
  });
}

/**
 * The record view of a list's rows, when the plugin's contract has a `GET` at `<list>/{param}`:
 * with its `PATCH` (else `PUT`) as the edit form and its `DELETE`, when they are there, and the
 * page's declared actions and lists found below the row's path (those that are not are left out).
 */
export function recordOf(document: Document, plugin: string, list: string, declared: ConsolePageDeclaration['record'] = {}): RecordView | undefined {
  return once(document, `record\u0000${plugin}\u0000${list}\u0000${JSON.stringify(declared)}`, () => {
    for (const [path, item] of Object.entries<Record<string, Operation>>(document.paths ?? {})) {
      const param = path.startsWith(`${list}/{`) ? /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(path.slice(list.length + 1))?.[1] : undefined;
      const read = item?.get;
      if (!param || read?.['x-plugin'] !== plugin || typeof read['x-permission'] !== 'string') continue;
      const record: RecordView = { path, param, permission: read['x-permission'] };
      for (const method of ['patch', 'put'] as const) {
        const operation = item[method];
        const form = operation?.['x-plugin'] === plugin ? formOf(document, operation) : undefined;
        if (form) {
          record.update = { operationId: operation.operationId, method: method.toUpperCase() as 'PATCH' | 'PUT', ...form };
          break;
        }
      }
      const remove = item.delete;
      if (remove?.['x-plugin'] === plugin && typeof remove['x-permission'] === 'string')
        record.remove = { operationId: remove.operationId, permission: remove['x-permission'] };
      const below = (method: 'get' | 'post', id: string) => operationBelow(document, plugin, path, method, id);
      const actions = (declared.actions ?? []).flatMap(({ operation, label }) => {
        const found = below('post', operation);
        if (!found) return [];
        const form = found.operation.requestBody ? formOf(document, found.operation) : undefined;
        return [{ operationId: operation, label, path: found.path, permission: found.operation['x-permission'], ...(form ? { schema: form.schema } : {}) }];
      });
      const lists = (declared.lists ?? []).flatMap(({ operation, title, columns }) => {
        const found = below('get', operation);
        return found ? [{ operationId: operation, title, path: found.path, permission: found.operation['x-permission'], ...(columns ? { columns } : {}) }] : [];
      });
      if (actions.length) record.actions = actions;
      if (lists.length) record.lists = lists;
      return record;
    }
    return undefined;
  });
}

/** The plugin's operation of that id and method at a path below `base` (with no parameter of its own). */
function operationBelow(
  document: Document,
  plugin: string,
  base: string,
  method: 'get' | 'post',
  id: string,
): { path: string; operation: Operation } | undefined {
  for (const [path, item] of Object.entries<Record<string, Operation>>(document.paths ?? {})) {
    const operation = item?.[method];
    if (operation?.operationId !== id || operation['x-plugin'] !== plugin || typeof operation['x-permission'] !== 'string') continue;
    return path.startsWith(`${base}/`) && !path.slice(base.length).includes('{') ? { path, operation } : undefined;
  }
  return undefined;
}

export interface ListFilter {
  name: string;
  options?: string[];
}

// Paging and sorting have their own controls.
const notFilters = new Set(['limit', 'offset', 'sortBy', 'sortOrder', 'page_token']);

/** The filters of a list operation a page offers: `q` to search, and each parameter with values to choose from. */
export function filtersOf(document: Document, plugin: string, list: string): ListFilter[] {
  return once(document, `filters\u0000${plugin}\u0000${list}`, () => {
    // Within the bounds ConsolePage sets: 20 filters of 50 values, names and values of 64 and 100 characters.
    return queryParameters(document, plugin, list)
      .flatMap((parameter): ListFilter[] => {
        if (notFilters.has(parameter.name) || String(parameter.name).length > 64) return [];
        const schema = parameter.schema ?? {};
        if (parameter.name === 'q') return [{ name: 'q' }];
        const options = Array.isArray(schema.enum) ? schema.enum.filter((v: unknown) => typeof v === 'string' && v.length <= 100) : [];
        if (options.length) return [{ name: parameter.name, options: options.slice(0, 50) }];
        if (schema.type === 'boolean') return [{ name: parameter.name, options: ['true', 'false'] }];
        return [];
      })
      .slice(0, 20);
  });
}

/** The fields a list operation sorts by: its `sortBy` values, when it takes a `sortOrder` too. */
export function sortableOf(document: Document, plugin: string, list: string): string[] {
  return once(document, `sortable\u0000${plugin}\u0000${list}`, () => {
    const parameters = queryParameters(document, plugin, list);
    const query = (name: string) => parameters.find((p) => p.name === name);
    const values = query('sortBy')?.schema?.enum;
    if (!query('sortOrder') || !Array.isArray(values)) return [];
    return values.filter((v: unknown): v is string => typeof v === 'string' && v.length <= 64).slice(0, 20);
  });
}

/** The query parameters of the plugin's list operation (the path's and the operation's), references resolved; none when it is not the plugin's. */
function queryParameters(document: Document, plugin: string, list: string): Operation[] {
  const operation = document.paths?.[list]?.get;
  if (operation?.['x-plugin'] !== plugin) return [];
  const parameters = withRefsResolved(document, [...(document.paths[list].parameters ?? []), ...(operation.parameters ?? [])]) as Operation[];
  return parameters.filter((parameter) => parameter?.in === 'query');
}

function formOf(document: Document, operation: Operation): { permission: string; schema: Record<string, unknown> } | undefined {
  const body = withRefsResolved(document, operation.requestBody);
  const schema = body?.content?.['application/json']?.schema;
  if (typeof operation['x-permission'] !== 'string' || !schema || typeof schema !== 'object') return undefined;
  return { permission: operation['x-permission'], schema };
}

/**
 * A copy of `value` with each local `$ref` replaced by what it names. A reference to a schema being
 * resolved already (a recursive type) becomes `{}`: the form takes such a value as JSON.
 */
function withRefsResolved(document: Document, value: unknown, within: ReadonlySet<string> = new Set()): any {
  if (Array.isArray(value)) return value.map((item) => withRefsResolved(document, item, within));
  if (!value || typeof value !== 'object') return value;
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    if (within.has(ref) || !ref.startsWith('#/')) return {};
    const target = ref
      .slice(2)
      .split('/')
      .reduce<any>((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], document);
    return withRefsResolved(document, target, new Set([...within, ref]));
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withRefsResolved(document, item, within)]));
}
