import type { Server } from 'node:http';
import {
  type DocumentNode,
  type ParseOptions,
  parse,
  type Source,
  type ASTNode,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  specifiedRules,
  type ValidationContext,
  type ValidationRule,
  validate,
} from 'graphql';

/**
 * Limits on what one GraphQL operation may ask for, checked at validation, before any resolver
 * runs: how deeply selections nest and what the operation costs. Every field counts once per
 * occurrence (5,000 aliases of one list field cost 5,000), and whatever a list field selects counts
 * `listFactor` times. Introspection can be switched off (it is, by default, in production).
 */

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  listFactor: number;
  introspection: boolean;
}

/** The configuration's defaults, for a server nobody registered limits for. */
export const defaultQueryLimits: QueryLimits = { maxDepth: 12, maxCost: 1000, listFactor: 10, introspection: true };

/** Tokens one query may have: parsing stops there, so no document is large or deep enough to exhaust the stack. */
export const maxQueryTokens = 50_000;

export const queryTooComplex = 'query_too_complex';

const tooComplex = (message: string, node: ASTNode | undefined) =>
  new GraphQLError(message, { nodes: node ? [node] : undefined, extensions: { code: queryTooComplex } });

/** The deepest field nesting under `selections`, stopping as soon as it passes `limit`. */
function depthRule(limit: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    // A fragment's depth is the same wherever it is spread: computed once.
    const fragmentDepths = new Map<string, number>();
    const depthOf = (set: SelectionSetNode | undefined, inProgress: Set<string>): number => {
      if (!set) return 0;
      let deepest = 0;
      for (const selection of set.selections) {
        let depth = 0;
        if (selection.kind === Kind.FIELD) depth = selection.selectionSet ? 1 + depthOf(selection.selectionSet, inProgress) : 1;
        else if (selection.kind === Kind.INLINE_FRAGMENT) depth = depthOf(selection.selectionSet, inProgress);
        else {
          const name = selection.name.value;
          // A cycle is reported by graphql's own NoFragmentCycles rule.
          if (inProgress.has(name)) continue;
          let known = fragmentDepths.get(name);
          if (known === undefined) {
            const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(name);
            inProgress.add(name);
            known = depthOf(fragment?.selectionSet, inProgress);
            inProgress.delete(name);
            fragmentDepths.set(name, known);
          }
          depth = known;
        }
        deepest = Math.max(deepest, depth);
        if (deepest > limit) return deepest;
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > limit) {
          context.reportError(tooComplex(`The operation nests fields more than ${limit} levels deep`, node));
        }
      },
    };
  };
}

/**
 * The operation's cost. Walking stops as soon as the running total passes the limit, and every
 * field visited adds at least one, so the walk is bounded by the limit even for fragments that
 * spread each other many times over.
 */
function costRule(limit: number, listFactor: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const schema = context.getSchema();
    return {
      OperationDefinition(node) {
        let cost = 0;
        let first: FieldNode | undefined;
        const walk = (set: SelectionSetNode | undefined, parent: GraphQLNamedType | undefined, multiplier: number, inProgress: Set<string>): void => {
          if (!set) return;
          for (const selection of set.selections) {
            if (cost > limit) return;
            if (selection.kind === Kind.FIELD) {
              cost += multiplier;
              first ??= selection;
              const fields = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields() : undefined;
              const type = fields?.[selection.name.value]?.type;
              const inner = type && isListType(getNullableType(type)) ? multiplier * listFactor : multiplier;
              walk(selection.selectionSet, type ? getNamedType(type) : undefined, inner, inProgress);
            } else if (selection.kind === Kind.INLINE_FRAGMENT) {
              const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
              walk(selection.selectionSet, condition ?? parent, multiplier, inProgress);
            } else {
              const name = selection.name.value;
              const fragment = context.getFragment(name);
              if (!fragment || inProgress.has(name)) continue;
              inProgress.add(name);
              walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? parent, multiplier, inProgress);
              inProgress.delete(name);
            }
          }
        };
        const root =
          node.operation === 'mutation' ? schema.getMutationType() : node.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
        walk(node.selectionSet, root ?? undefined, 1, new Set());
        if (cost > limit) {
          context.reportError(
            tooComplex(
              `The operation costs more than ${limit} (each field counts once per alias, list fields count what they select ${listFactor} times); ask for less or split it`,
              first,
            ),
          );
        }
      },
    };
  };
}

function noIntrospectionRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        context.reportError(new GraphQLError('Introspection is disabled on this server', { nodes: [node], extensions: { code: 'introspection_disabled' } }));
      }
    },
  };
}

/** graphql's own rules plus the limits: what every operation, over HTTP or WebSocket, is validated with. */
export function validationRules(limits: QueryLimits): ValidationRule[] {
  return [...specifiedRules, depthRule(limits.maxDepth), costRule(limits.maxCost, limits.listFactor), ...(limits.introspection ? [] : [noIntrospectionRule])];
}

const limitsByServer = new WeakMap<Server, QueryLimits>();

/** The limits the HTTP server's configuration sets, for its GraphQL endpoints. */
export function setQueryLimits(server: Server, limits: QueryLimits): void {
  limitsByServer.set(server, limits);
}

export function queryLimitsOf(server: Server): QueryLimits {
  return limitsByServer.get(server) ?? defaultQueryLimits;
}

/** A drop-in for graphql's `validate` with the server's limits (graphql-ws takes one as `validate`). */
export function validateWithLimits(server: Server): typeof validate {
  return (schema: GraphQLSchema, document, rules, options) => validate(schema, document, rules ?? validationRules(queryLimitsOf(server)), options);
}

/** graphql's `parse`, stopping at the token limit and turning a parser stack overflow into an error. */
export function parseWithLimits(source: string | Source, options?: ParseOptions): DocumentNode {
  try {
    return parse(source, { ...options, maxTokens: maxQueryTokens });
  } catch (error) {
    if (error instanceof GraphQLError) throw error;
    throw new GraphQLError('The query is nested too deeply to parse', { extensions: { code: queryTooComplex } });
  }
}

/** For graphql-ws's `useServer` options: the same parse and validation limits as over HTTP. */
export function wsQueryLimitOptions(server: Server) {
  return { parse: parseWithLimits, validate: validateWithLimits(server) };
}
