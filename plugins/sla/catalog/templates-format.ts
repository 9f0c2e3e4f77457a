import { parseDocument } from 'yaml';
import { AppError, type JsonSchema, type SchemaValidator, type TemplateSection as ContributedSection } from '../../../core/plugin-api/index.ts';

/**
 * The templates document (`apiVersion: itops/v1`, `kind: Templates`): SLA tier targets, SLA groups
 * and the service catalog, as `GET /api/v1/templates/export` writes it and the import reads it.
 * Other plugins contribute sections of their own (`workflows`, from the automation plugin) through
 * `tokens.templateSections`; `workflows` without that plugin is accepted only absent or empty.
 */
export interface TemplateGroup {
  name: string;
  displayName?: string;
  tier?: string;
  targetPercent?: number;
}

export interface TemplateService {
  name: string;
  nodeId: string;
  displayName?: string;
  criticality?: string;
  serviceType?: string;
  namespace?: string;
  tags?: string[];
  slaGroup?: string;
  operations?: { backup?: { expected?: boolean; maxAgeDays?: number } };
}

export interface TemplateDocument {
  apiVersion: 'itops/v1';
  kind: 'Templates';
  slaTiers?: Record<string, number>;
  slaGroups?: TemplateGroup[];
  services?: TemplateService[];
  workflows?: unknown[];
  /** Contributed sections, by name. */
  [section: string]: unknown;
}

export const templateSections = ['slaTiers', 'slaGroups', 'services'] as const;
export type TemplateSection = (typeof templateSections)[number];

/** Aliases one document may expand; a few are handy, thousands are a "billion laughs" attack. */
const maxAliasCount = 100;

// The same field rules as the agent and push operations in openapi.yaml (SlaName, SlaNodeId, SlaTags, SlaOperations).
const name = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' };
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });
const percent = { type: 'number', exclusiveMinimum: 0, maximum: 100 };

export const templateDocumentSchema: JsonSchema = {
  type: 'object',
  required: ['apiVersion', 'kind'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'itops/v1' },
    kind: { const: 'Templates' },
    slaTiers: { type: 'object', maxProperties: 50, propertyNames: text(50), additionalProperties: percent },
    slaGroups: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: { name, displayName: text(200), tier: text(50), targetPercent: percent },
      },
    },
    services: {
      type: 'array',
      maxItems: 10000,
      items: {
        type: 'object',
        required: ['name', 'nodeId'],
        additionalProperties: false,
        properties: {
          name,
          nodeId: { type: 'string', minLength: 1, maxLength: 300, pattern: '^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$' },
          displayName: text(200),
          criticality: text(50),
          serviceType: text(50),
          namespace: text(253),
          tags: { type: 'array', maxItems: 50, items: text(100) },
          slaGroup: name,
          operations: {
            type: 'object',
            additionalProperties: false,
            properties: {
              backup: {
                type: 'object',
                additionalProperties: false,
                properties: { expected: { type: 'boolean' }, maxAgeDays: { type: 'integer', minimum: 1, maximum: 366 } },
              },
            },
          },
        },
      },
    },
    workflows: { type: 'array' },
  },
};

export interface Detail {
  path: string;
  message: string;
}

export const invalid = (message: string, details: Detail[]) => new AppError('validation_failed', message, { details });

/**
 * Parses and validates a templates document. YAML errors, schema errors and inconsistencies inside
 * the document (duplicates, workflows) answer 400 `validation_failed` with JSON-pointer paths.
 */
export function parseTemplates(source: string, validator: SchemaValidator, contributed: ContributedSection[] = []): TemplateDocument {
  const value = parseYaml(source);
  const schema = {
    ...templateDocumentSchema,
    properties: {
      ...(templateDocumentSchema.properties as Record<string, JsonSchema>),
      ...Object.fromEntries(contributed.map((section) => [section.name, { type: 'array', maxItems: 1000, items: section.itemSchema }])),
    },
  };
  try {
    validator.assert(schema, value);
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'validation_failed') throw error;
    throw invalid('The templates document does not match its format', pointAtFields(value, (error.details ?? []) as Detail[]));
  }
  const doc = value as TemplateDocument;
  const problems = [
    ...duplicates(doc.slaGroups ?? [], (g) => g.name, '/slaGroups', 'name'),
    ...duplicates(doc.services ?? [], serviceKey, '/services', 'name'),
  ];
  for (const section of contributed)
    problems.push(...duplicates((doc[section.name] ?? []) as Record<string, unknown>[], (item) => section.keyOf(item), `/${section.name}`, 'name'));
  if (doc.workflows && doc.workflows.length > 0 && !contributed.some((section) => section.name === 'workflows')) {
    problems.push({
      path: '/workflows',
      message: 'workflows are reserved for the workflows feature and cannot be imported yet: leave the list empty or remove it',
    });
  }
  if (problems.length > 0) throw invalid('The templates document is inconsistent', problems);
  return doc;
}

/** How a service is identified in a document and in the import report: `nodeId/name`. */
export const serviceKey = (s: { nodeId: string; name: string }) => `${s.nodeId}/${s.name}`;

function parseYaml(source: string): unknown {
  const doc = parseDocument(source, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw invalid(
      'The templates document is not valid YAML',
      doc.errors.slice(0, 20).map((e) => ({
        path: '/',
        message: e.code === 'MULTIPLE_DOCS' ? 'holds several YAML documents; send one' : e.message.split('\n')[0].replace(/:$/, ''),
      })),
    );
  }
  try {
    return doc.toJS({ maxAliasCount });
  } catch (error) {
    // yaml refuses documents whose aliases expand past maxAliasCount (resource exhaustion).
    throw invalid('The templates document is not valid YAML', [{ path: '/', message: (error as Error).message }]);
  }
}

/**
 * The shared validator reports a missing or unknown field at the object holding it; point at the
 * field itself (`/services/3/nodeId`) so a user can find it.
 */
function pointAtFields(value: unknown, details: Detail[]): Detail[] {
  return details.flatMap((d) => {
    const base = d.path === '/' ? '' : d.path;
    const missing = /^must have required property '(.+)'$/.exec(d.message);
    if (missing) return [{ path: `${base}/${escapePointer(missing[1])}`, message: 'is required' }];
    if (d.message === 'must be equal to constant') return [{ path: d.path, message: `must be ${schemaAt(d.path)?.const}` }];
    if (d.message === 'must NOT have additional properties') {
      const known = Object.keys((schemaAt(d.path)?.properties as object | undefined) ?? {});
      const unknown = Object.keys((valueAt(value, d.path) as object | null) ?? {}).filter((k) => !known.includes(k));
      if (unknown.length > 0)
        return unknown.map((k) => ({ path: `${base}/${escapePointer(k)}`, message: `is not a known field (known: ${known.join(', ')})` }));
    }
    return [d];
  });
}

const segments = (pointer: string) =>
  pointer === '/' || pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

function schemaAt(pointer: string): JsonSchema | undefined {
  let schema: JsonSchema | undefined = templateDocumentSchema;
  for (const segment of segments(pointer)) {
    const properties = schema?.properties as Record<string, JsonSchema> | undefined;
    schema = properties && segment in properties ? properties[segment] : (schema?.items as JsonSchema | undefined);
  }
  return schema;
}

function valueAt(value: unknown, pointer: string): unknown {
  let at = value;
  for (const segment of segments(pointer)) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[segment] : undefined;
  return at;
}

function duplicates<T>(items: T[], keyOf: (item: T) => string, path: string, field: string): Detail[] {
  const first = new Map<string, number>();
  const found: Detail[] = [];
  items.forEach((item, i) => {
    const key = keyOf(item);
    const seen = first.get(key);
    if (seen === undefined) first.set(key, i);
    else found.push({ path: `${path}/${i}/${field}`, message: `${key} is already listed at ${path}/${seen}` });
  });
  return found;
}
