import type { ConsolePageDeclaration } from '../plugin-api/index.ts';

/** What `GET /api/v1/console/pages` says of a page's create form (ConsoleCreateForm in the contract). */
export interface CreateFormView {
  operationId: string;
  label: string;
  method: 'POST';
  path: string;
  permission: string;
  schema: Record<string, unknown>;
}

type Document = Record<string, any>;

// The document changes only when a plugin loads or unloads: each one's forms are resolved once.
const resolved = new WeakMap<Document, Map<string, CreateFormView | null>>();

/**
 * The form of a page's `create` declaration, from the loaded contract: the plugin's own `POST`
 * operation of that id, its permission and its JSON request schema with references resolved (the
 * console has no resolver of its own). Undefined when the operation is not there (so the page shows
 * no button rather than a form the API would refuse).
 */
export function createFormOf(document: Document, plugin: string, create: NonNullable<ConsolePageDeclaration['create']>): CreateFormView | undefined {
  let forms = resolved.get(document);
  if (!forms) {
    forms = new Map();
    resolved.set(document, forms);
  }
  const key = `${plugin}\u0000${create.operation}\u0000${create.label}`;
  if (!forms.has(key)) forms.set(key, buildForm(document, plugin, create) ?? null);
  return forms.get(key) ?? undefined;
}

function buildForm(document: Document, plugin: string, create: NonNullable<ConsolePageDeclaration['create']>): CreateFormView | undefined {
  for (const [path, item] of Object.entries<Record<string, any>>(document.paths ?? {})) {
    const operation = item?.post;
    if (operation?.operationId !== create.operation || operation['x-plugin'] !== plugin) continue;
    const body = withRefsResolved(document, operation.requestBody);
    const schema = body?.content?.['application/json']?.schema;
    if (typeof operation['x-permission'] !== 'string' || !schema || typeof schema !== 'object') return undefined;
    return { operationId: create.operation, label: create.label, method: 'POST', path, permission: operation['x-permission'], schema };
  }
  return undefined;
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
