import { readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { type DefinitionNode, GraphQLScalarType, Kind, type GraphQLSchema, parse, type ValueNode } from 'graphql';
import type { Resolver } from '../plugin-api/index.ts';

export interface SdlFragment {
  owner: string;
  sdl: string;
}

export type ResolverEntry = Resolver | { subscribe: Resolver; resolve?: Resolver };

export interface RegisteredResolver {
  owner: string;
  typeName: string;
  fieldName: string;
  resolver: ResolverEntry;
}

export const coreSdl = () => readFileSync(new URL('../../graphql/core.graphql', import.meta.url), 'utf8');

const dateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => {
    const date = new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new TypeError('DateTime must be an RFC 3339 timestamp');
    return date;
  },
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new TypeError('DateTime must be a string');
    return new Date(ast.value);
  },
});

function literal(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value)]));
    case Kind.LIST:
      return ast.values.map(literal);
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.VARIABLE:
      return undefined;
    default:
      return (ast as { value: unknown }).value;
  }
}

const json = new GraphQLScalarType({ name: 'JSON', serialize: (v) => v, parseValue: (v) => v, parseLiteral: literal });

const typeDefinitions = new Set<string>([
  Kind.OBJECT_TYPE_DEFINITION,
  Kind.INTERFACE_TYPE_DEFINITION,
  Kind.UNION_TYPE_DEFINITION,
  Kind.ENUM_TYPE_DEFINITION,
  Kind.INPUT_OBJECT_TYPE_DEFINITION,
  Kind.SCALAR_TYPE_DEFINITION,
]);
const withFields = new Set<string>([
  Kind.OBJECT_TYPE_DEFINITION,
  Kind.OBJECT_TYPE_EXTENSION,
  Kind.INTERFACE_TYPE_DEFINITION,
  Kind.INTERFACE_TYPE_EXTENSION,
  Kind.INPUT_OBJECT_TYPE_DEFINITION,
  Kind.INPUT_OBJECT_TYPE_EXTENSION,
]);

/**
 * Each type is defined by one owner and each field declared once: the schema merge would
 * otherwise fold two plugins' `type Page` (or two `extend type Query { stats }`) into one
 * silently, and one plugin would answer for the other. Fails naming both owners.
 */
function checkOwnership(fragments: SdlFragment[]): void {
  const types = new Map<string, string>();
  const fields = new Map<string, string>();
  const problems: string[] = [];
  for (const { owner, sdl } of fragments) {
    for (const definition of parse(sdl).definitions as (DefinitionNode & { name?: { value: string }; fields?: readonly { name: { value: string } }[] })[]) {
      const name = definition.name?.value;
      if (!name) continue;
      if (typeDefinitions.has(definition.kind)) {
        const other = types.get(name);
        if (other) problems.push(`GraphQL type ${name} is defined by both ${other} and ${owner}`);
        else types.set(name, owner);
      }
      if (!withFields.has(definition.kind)) continue;
      for (const field of definition.fields ?? []) {
        const key = `${name}.${field.name.value}`;
        const other = fields.get(key);
        if (other && other !== owner) problems.push(`GraphQL field ${key} is declared by both ${other} and ${owner}`);
        else fields.set(key, owner);
      }
    }
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
}

/**
 * Builds the executable schema from the core SDL, every loaded plugin's SDL and their resolvers.
 * A type defined, a field declared or a field resolved by two owners fails the build with both names.
 */
export function buildSchema(fragments: SdlFragment[], resolvers: RegisteredResolver[]): GraphQLSchema {
  checkOwnership(fragments);
  const map: Record<string, Record<string, unknown>> = { DateTime: dateTime as never, JSON: json as never };
  const owners = new Map<string, string>();
  for (const { owner, typeName, fieldName, resolver } of resolvers) {
    const key = `${typeName}.${fieldName}`;
    const clash = owners.get(key);
    if (clash) throw new Error(`GraphQL field ${key} is resolved by both ${clash} and ${owner}`);
    owners.set(key, owner);
    map[typeName] ??= {};
    map[typeName][fieldName] = resolver;
  }
  return makeExecutableSchema({ typeDefs: fragments.map((f) => f.sdl), resolvers: map as never });
}
