import { readFileSync } from 'node:fs';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLScalarType, Kind, type GraphQLSchema, type ValueNode } from 'graphql';
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

/**
 * Builds the executable schema from the core SDL, every loaded plugin's SDL and their resolvers.
 * Two plugins resolving the same field fail the build with both names.
 */
export function buildSchema(fragments: SdlFragment[], resolvers: RegisteredResolver[]): GraphQLSchema {
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
