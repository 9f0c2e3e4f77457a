import { columnTitle } from './plugin-cells.ts';

/**
 * A plugin's form (a create, an edit, an action on a row), built from its operation's request schema
 * (as `GET /api/v1/console/pages` sends it, references resolved): one field per property, shaped by its type. What a form cannot
 * express field by field (objects, lists of objects, alternatives) is typed as JSON.
 */
export type FieldKind = 'text' | 'textarea' | 'email' | 'url' | 'select' | 'checkbox' | 'yesno' | 'number' | 'datetime' | 'date' | 'list' | 'json';

export interface FormField {
  name: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  /** Null is a value the API takes: an empty optional field is sent as null rather than left out. */
  nullable: boolean;
  hint?: string;
  options?: string[];
  maxLength?: number;
  min?: number;
  max?: number;
  integer?: boolean;
  /** The field's initial text (or checkbox state), from the schema's default. */
  initial?: string | boolean;
  placeholder?: string;
  /** Not shown: the record's version, sent back with a change so a concurrent one is refused (409). */
  hidden?: boolean;
}

type Schema = Record<string, any>;

// Longer strings are prose (a description, an article's body): a text area.
const longText = 1000;

export function formFields(schema: Schema): FormField[] {
  const required = new Set<string>(Array.isArray(schema.required) ? schema.required : []);
  return Object.entries<Schema>(schema.properties ?? {})
    .filter(([, property]) => property && typeof property === 'object' && !property.readOnly)
    .map(([name, property]) => fieldOf(name, property, required.has(name)));
}

function fieldOf(name: string, property: Schema, required: boolean): FormField {
  const types = typesOf(property);
  const nullable = types.includes('null');
  const type = types.find((t) => t !== 'null');
  const field: FormField = { name, label: columnTitle(name), kind: 'json', required, nullable };
  if (name === 'version' && type === 'integer') return { ...field, kind: 'number', integer: true, hidden: true };
  if (typeof property.description === 'string') field.hint = property.description;
  const example = Array.isArray(property.examples) ? property.examples[0] : undefined;
  const enumeration = Array.isArray(property.enum) ? property.enum.filter((v: unknown) => typeof v === 'string') : undefined;
  const isAlternative = property.oneOf || property.anyOf || types.length - (nullable ? 1 : 0) > 1;
  if (isAlternative || !type) return withJson(field, property, example);
  if (type === 'string' && enumeration?.length) {
    Object.assign(field, { kind: 'select', options: enumeration });
  } else if (type === 'string') {
    const format = property.format;
    field.kind =
      format === 'date-time'
        ? 'datetime'
        : format === 'date'
          ? 'date'
          : format === 'email'
            ? 'email'
            : format === 'uri' || format === 'url'
              ? 'url'
              : (property.maxLength ?? Number.POSITIVE_INFINITY) > longText
                ? 'textarea'
                : 'text';
    if (typeof property.maxLength === 'number') field.maxLength = property.maxLength;
    if (typeof example === 'string') field.placeholder = example;
  } else if (type === 'integer' || type === 'number') {
    Object.assign(field, { kind: 'number', integer: type === 'integer' });
    if (typeof property.minimum === 'number') field.min = property.minimum;
    if (typeof property.maximum === 'number') field.max = property.maximum;
    if (typeof example === 'number') field.placeholder = String(example);
  } else if (type === 'boolean') {
    // A checkbox cannot say "not set": without a default the API decides, so the choice includes leaving it to it.
    if (typeof property.default !== 'boolean') return Object.assign(field, { kind: 'yesno' as const });
    field.kind = 'checkbox';
    field.initial = property.default;
    return field;
  } else if (type === 'array' && typesOf(property.items ?? {}).every((t) => t === 'string') && !property.items?.oneOf) {
    field.kind = 'list';
    const allowed = Array.isArray(property.items?.enum) ? property.items.enum : undefined;
    field.placeholder = allowed ? allowed.join(', ') : 'comma-separated';
  } else {
    return withJson(field, property, example);
  }
  if (property.default !== undefined && property.default !== null) field.initial = String(property.default);
  return field;
}

function withJson(field: FormField, property: Schema, example: unknown): FormField {
  field.kind = 'json';
  const shown = example ?? property.default ?? skeletonOf(property, 0);
  if (shown !== undefined) field.placeholder = JSON.stringify(shown);
  return field;
}

/**
 * A value of the schema's shape, to show what JSON the field takes when the schema gives no example:
 * required properties (all of a small object's), the first of alternatives and enum values.
 */
function skeletonOf(schema: Schema | undefined, depth: number): unknown {
  if (!schema || typeof schema !== 'object' || depth > 3) return undefined;
  if (schema.examples?.[0] !== undefined) return schema.examples[0];
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(alternatives)) return skeletonOf(alternatives[0], depth);
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const type = typesOf(schema).find((t) => t !== 'null');
  if (type === 'array') {
    const item = skeletonOf(schema.items, depth + 1);
    return item === undefined ? [] : [item];
  }
  if (type === 'object' || schema.properties) {
    const properties = Object.keys(schema.properties ?? {});
    const shown = Array.isArray(schema.required) && schema.required.length ? schema.required : properties.length <= 4 ? properties : [];
    return Object.fromEntries(shown.map((name: string) => [name, skeletonOf(schema.properties?.[name], depth + 1) ?? null]));
  }
  if (type === 'string') return '';
  if (type === 'integer' || type === 'number') return typeof schema.minimum === 'number' ? schema.minimum : 0;
  if (type === 'boolean') return false;
  return undefined;
}

function typesOf(schema: Schema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (typeof schema.type === 'string') return [schema.type];
  if (schema.enum) return [...new Set<string>(schema.enum.map((v: unknown) => (v === null ? 'null' : typeof v)))];
  return [];
}

/** A field's text for a value a record already has, so an edit form starts from the record. */
export function textOf(field: FormField, value: unknown): string | boolean {
  if (field.kind === 'checkbox') return value === true;
  if (value === undefined || value === null) return '';
  switch (field.kind) {
    case 'yesno':
      return value === true ? 'yes' : value === false ? 'no' : '';
    case 'list':
      return Array.isArray(value) ? value.join(', ') : String(value);
    case 'json':
      return JSON.stringify(value, null, 2);
    case 'datetime': {
      // datetime-local shows the local time, to the minute.
      const at = new Date(String(value));
      return Number.isNaN(at.getTime()) ? '' : new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    }
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

// What a cleared field that takes no null sends, where the API has a value for "nothing".
const clearedAs: Partial<Record<FieldKind, unknown>> = { text: '', textarea: '', email: '', url: '', list: [] };

/**
 * What an edit sends: the fields whose value differs from the record's (read through the same form,
 * so a value the form shows differently, a time to the minute, is no change) and the hidden ones
 * (the version). A cleared text or list is sent empty; other cleared fields stay as they were.
 * Empty when nothing but the hidden fields changed.
 */
export function changedBody(fields: FormField[], before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const value = (f: FormField) => (f.name in after || !(f.name in before) ? after[f.name] : clearedAs[f.kind]);
  const changed = fields.filter((f) => !f.hidden && value(f) !== undefined && JSON.stringify(value(f)) !== JSON.stringify(before[f.name]));
  if (changed.length === 0) return {};
  const sent = [...changed, ...fields.filter((f) => f.hidden && f.name in after)];
  return Object.fromEntries(sent.map((f) => [f.name, value(f)]));
}

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * The request body from what was typed (`read` gives a field's text, or a checkbox's state). An empty
 * optional field is left out (or null, when the API takes null); JSON that does not parse is a
 * problem of its field, and nothing is sent.
 */
export function formBody(fields: FormField[], read: (name: string) => string | boolean): { body: Record<string, unknown>; problems: FieldProblem[] } {
  const body: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  for (const field of fields) {
    const raw = read(field.name);
    if (field.kind === 'checkbox') {
      body[field.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '') {
      if (field.required) problems.push({ field: field.name, message: `${field.label} is required` });
      else if (field.nullable) body[field.name] = null;
      continue;
    }
    switch (field.kind) {
      case 'number':
        body[field.name] = Number(text);
        break;
      case 'yesno':
        body[field.name] = text === 'yes';
        break;
      case 'datetime':
        // datetime-local is the browser's local time without a zone: sent as the instant it names.
        body[field.name] = new Date(text).toISOString();
        break;
      case 'list':
        body[field.name] = text
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean);
        break;
      case 'json':
        try {
          body[field.name] = JSON.parse(text);
        } catch {
          problems.push({ field: field.name, message: `${field.label} is not valid JSON` });
        }
        break;
      default:
        body[field.name] = text;
    }
  }
  return { body, problems };
}

/** The words a person reads for an API's validation details (`[{ path: '/title', message }]`). */
export function detailLines(details: unknown, fields: FormField[]): string[] {
  if (!Array.isArray(details)) return [];
  const labels = new Map(fields.map((f) => [f.name, f.label]));
  return details.flatMap((detail) => {
    if (!detail || typeof detail !== 'object' || typeof detail.message !== 'string') return [];
    const name = typeof detail.path === 'string' ? detail.path.replace(/^\/(requestBody\/|body\/)?/, '').split('/')[0] : '';
    return [`${labels.get(name) ?? (name || 'The form')}: ${detail.message}`];
  });
}

/** A row's page title: its key with its title when it has both ("TCK-2: Printer jams"), else as in a notice. */
export function recordName(row: unknown): string | undefined {
  const r = (row ?? {}) as Record<string, unknown>;
  return typeof r.key === 'string' && typeof r.title === 'string' && r.key && r.title ? `${r.key}: ${r.title}` : createdName(row);
}

/** How a created row is named in the notice: its key, name or title, else its id. */
export function createdName(row: unknown): string | undefined {
  if (!row || typeof row !== 'object') return undefined;
  const r = row as Record<string, unknown>;
  for (const field of ['key', 'name', 'title', 'number', 'id']) if (typeof r[field] === 'string' && r[field]) return r[field] as string;
  return undefined;
}
