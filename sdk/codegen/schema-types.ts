/**
 * A small JSON Schema (OpenAPI 3.1 dialect) → TypeScript type emitter. It covers what the contract
 * uses: objects with required/optional properties and additionalProperties, arrays and tuples, enums
 * and const (literal unions), oneOf/anyOf (unions), allOf (intersections), `type: [x, 'null']` and
 * OpenAPI 3.0 `nullable`, and `$ref` to `#/components/schemas/X` (the named type). Anything it does not
 * understand becomes `unknown`, never a guess. Formats (date-time, uuid, ...) stay `string`.
 */

type Schema = Record<string, any> | boolean;

/** A type expression with its precedence, so unions inside arrays or intersections get parentheses. */
interface Emitted {
  text: string;
  kind: 'atom' | 'union' | 'intersection';
  /** The members of a union, so nested unions flatten without re-parsing text. */
  members?: string[];
}

const schemaRefPrefix = '#/components/schemas/';

/** `foo-bar.baz_qux` → `FooBarBazQux`: a PascalCase identifier for a component or operation name. */
export function typeName(name: string): string {
  const parts = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
  if (!joined) throw new Error(`"${name}" cannot be turned into a type name`);
  return /^[0-9]/.test(joined) ? `_${joined}` : joined;
}

/** A property key as written in a type literal: bare when it is an identifier, quoted otherwise. */
export function propertyKey(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : literal(key);
}

export function literal(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return 'unknown';
}

/** A JSDoc block (or nothing) for a description, safe against `*\/` inside the text. */
export function docComment(text: unknown, indent: string): string {
  if (typeof text !== 'string' || !text.trim()) return '';
  const lines = text.trim().replace(/\*\//g, '*\\/').split(/\r?\n/);
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} *${l ? ` ${l}` : ''}`).join('\n')}\n${indent} */\n`;
}

export class SchemaTypeEmitter {
  private readonly resolving = new Set<string>();

  /**
   * @param document the whole OpenAPI document, to follow `$ref`s that do not point at a named schema
   * @param schemaNames component schema name → emitted type name
   */
  constructor(
    private readonly document: Record<string, any>,
    private readonly schemaNames: ReadonlyMap<string, string>,
  ) {}

  /** The TypeScript type of a schema; `indent` is the indentation of the line the type starts on. */
  typeOf(schema: Schema | undefined, indent = ''): string {
    return this.emit(schema, indent).text;
  }

  private emit(schema: Schema | undefined, indent: string): Emitted {
    if (schema === undefined || schema === true) return atom('unknown');
    if (schema === false) return atom('never');
    if (typeof schema !== 'object' || schema === null) return atom('unknown');
    if (typeof schema.$ref === 'string') return this.emitRef(schema.$ref, indent);

    const nullable = schema.nullable === true;
    const parts: Emitted[] = [];
    const own = this.emitOwn(schema, indent);
    if (own) parts.push(own);
    if (Array.isArray(schema.allOf) && schema.allOf.length) {
      parts.push(...schema.allOf.map((s: Schema) => this.emit(s, indent)));
    }
    for (const keyword of ['oneOf', 'anyOf'] as const) {
      if (Array.isArray(schema[keyword]) && schema[keyword].length) parts.push(union(schema[keyword].map((s: Schema) => this.emit(s, indent))));
    }
    let result = parts.length === 0 ? atom('unknown') : intersection(parts);
    if (nullable && result.text !== 'unknown') result = union([result, atom('null')]);
    return result;
  }

  private emitRef(ref: string, indent: string): Emitted {
    if (ref.startsWith(schemaRefPrefix)) {
      const name = decodePointerToken(ref.slice(schemaRefPrefix.length));
      const known = this.schemaNames.get(name);
      if (known) return atom(known);
    }
    // Any other local reference is inlined; a cycle through one is cut with `unknown`.
    if (!ref.startsWith('#') || this.resolving.has(ref)) return atom('unknown');
    const target = resolvePointer(this.document, ref);
    if (target === undefined) return atom('unknown');
    this.resolving.add(ref);
    try {
      return this.emit(target, indent);
    } finally {
      this.resolving.delete(ref);
    }
  }

  /** The part of a schema described by its own keywords (enum, const, type, properties, items). */
  private emitOwn(schema: Record<string, any>, indent: string): Emitted | undefined {
    if ('const' in schema) return atom(literal(schema.const));
    if (Array.isArray(schema.enum)) return schema.enum.length ? union(schema.enum.map((v: unknown) => atom(literal(v)))) : atom('never');
    const types: string[] = Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : [];
    if (types.length === 0) {
      if (schema.properties || schema.additionalProperties !== undefined || schema.patternProperties) return this.emitObject(schema, indent);
      if (schema.items !== undefined || schema.prefixItems) return this.emitArray(schema, indent);
      return undefined;
    }
    return union(types.map((type) => this.emitType(type, schema, indent)));
  }

  private emitType(type: string, schema: Record<string, any>, indent: string): Emitted {
    switch (type) {
      case 'string':
        return atom('string');
      case 'integer':
      case 'number':
        return atom('number');
      case 'boolean':
        return atom('boolean');
      case 'null':
        return atom('null');
      case 'array':
        return this.emitArray(schema, indent);
      case 'object':
        return this.emitObject(schema, indent);
      default:
        return atom('unknown');
    }
  }

  private emitArray(schema: Record<string, any>, indent: string): Emitted {
    if (Array.isArray(schema.prefixItems)) {
      const items = schema.prefixItems.map((s: Schema) => this.typeOf(s, indent));
      const rest = schema.items === false ? [] : [`...${wrap(this.emit(schema.items, indent))}[]`];
      return atom(`[${[...items, ...rest].join(', ')}]`);
    }
    return atom(`${wrap(this.emit(schema.items, indent))}[]`);
  }

  private emitObject(schema: Record<string, any>, indent: string): Emitted {
    const inner = `${indent}  `;
    const required = new Set<string>(Array.isArray(schema.required) ? schema.required : []);
    const lines: string[] = [];
    const propertyTypes: string[] = [];
    let anyOptional = false;
    for (const [key, property] of Object.entries<Schema>(schema.properties ?? {})) {
      const type = this.typeOf(property, inner);
      const optional = !required.has(key);
      anyOptional ||= optional;
      propertyTypes.push(type);
      const doc = typeof property === 'object' ? docComment(property.description, inner) : '';
      lines.push(`${doc}${inner}${propertyKey(key)}${optional ? '?' : ''}: ${type};`);
    }
    const extra = schema.additionalProperties ?? (schema.patternProperties ? true : undefined);
    const closed = extra === false || (extra === undefined && lines.length > 0);
    if (!closed) {
      // An index signature must admit every declared property's type too.
      const extraType = extra === undefined || extra === true ? 'unknown' : this.typeOf(extra, inner);
      const members = extraType === 'unknown' || lines.length === 0 ? [extraType] : [extraType, ...propertyTypes, ...(anyOptional ? ['undefined'] : [])];
      lines.push(`${inner}[key: string]: ${[...new Set(members)].join(' | ')};`);
    }
    if (lines.length === 0) return atom('{ [key: string]: never }');
    return atom(`{\n${lines.join('\n')}\n${indent}}`);
  }
}

function atom(text: string): Emitted {
  return { text, kind: 'atom' };
}

function wrap(e: Emitted): string {
  return e.kind === 'atom' ? e.text : `(${e.text})`;
}

function union(members: Emitted[]): Emitted {
  const texts = [...new Set(members.flatMap((m) => m.members ?? [m.text]))];
  if (texts.includes('unknown')) return atom('unknown');
  if (texts.length === 1) return members.find((m) => m.text === texts[0]) ?? atom(texts[0]!);
  return { text: texts.join(' | '), kind: 'union', members: texts };
}

function intersection(members: Emitted[]): Emitted {
  const useful = members.filter((m) => m.text !== 'unknown');
  if (useful.length === 0) return atom('unknown');
  if (useful.length === 1) return useful[0]!;
  return { text: useful.map(wrap).join(' & '), kind: 'intersection' };
}

function decodePointerToken(token: string): string {
  return decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Follows a local JSON pointer (`#/a/b`) through a document. */
export function resolvePointer(document: unknown, ref: string): any {
  if (ref === '#') return document;
  if (!ref.startsWith('#/')) return undefined;
  let node: any = document;
  for (const token of ref.slice(2).split('/').map(decodePointerToken)) {
    if (node === null || typeof node !== 'object' || !(token in node)) return undefined;
    node = node[token];
  }
  return node;
}
