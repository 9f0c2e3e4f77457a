import { type OpenApiDocument, operationsOf } from './contract-document.ts';

export interface ContractFragment {
  owner: string;
  document: Record<string, any>;
}

export class ContractError extends Error {
  constructor(readonly problems: string[]) {
    super(`The contract is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ContractError';
  }
}

const componentKinds = ['schemas', 'parameters', 'responses', 'headers', 'requestBodies', 'examples'] as const;

/**
 * Merges the root document with plugin fragments into one contract. Fragments only add: a path+method,
 * operationId, component or tag defined twice fails with both owners named, so two plugins can never
 * silently shadow each other. Each operation is stamped with its owner (`x-plugin`).
 */
export function mergeContract(root: Record<string, any>, fragments: ContractFragment[]): OpenApiDocument {
  const merged = structuredClone(root) as OpenApiDocument;
  merged.paths ??= {};
  merged.components ??= {};
  merged.tags ??= [];
  const problems: string[] = [];
  const operationOwner = new Map<string, string>();
  const routeOwner = new Map<string, string>();
  const componentOwner = new Map<string, string>();

  for (const { path, method, operation } of operationsOf(merged)) {
    operation['x-plugin'] = 'core';
    routeOwner.set(`${method.toUpperCase()} ${path}`, 'core');
    if (operation.operationId) operationOwner.set(operation.operationId, 'core');
  }
  for (const kind of componentKinds) {
    for (const name of Object.keys(root.components?.[kind] ?? {})) componentOwner.set(`${kind}/${name}`, 'core');
  }
  const tagOwner = new Map((merged.tags ?? []).map((t) => [t.name, 'core']));

  for (const { owner, document } of fragments) {
    for (const { path, method, operation } of operationsOf(document)) {
      const route = `${method.toUpperCase()} ${path}`;
      const routeClash = routeOwner.get(route);
      if (routeClash) {
        problems.push(`${route} is defined by both ${routeClash} and ${owner}`);
        continue;
      }
      const id = operation.operationId;
      const idClash = id ? operationOwner.get(id) : undefined;
      if (idClash) {
        problems.push(`operationId "${id}" is defined by both ${idClash} and ${owner}`);
        continue;
      }
      routeOwner.set(route, owner);
      if (id) operationOwner.set(id, owner);
      const copy = { ...structuredClone(operation), 'x-plugin': owner };
      merged.paths[path] ??= {};
      merged.paths[path][method] = copy;
      const shared = document.paths[path];
      if (shared.parameters && !merged.paths[path].parameters) merged.paths[path].parameters = structuredClone(shared.parameters);
    }
    for (const kind of componentKinds) {
      for (const [name, value] of Object.entries(document.components?.[kind] ?? {})) {
        const clash = componentOwner.get(`${kind}/${name}`);
        if (clash) {
          problems.push(`component ${kind}/${name} is defined by both ${clash} and ${owner}`);
          continue;
        }
        componentOwner.set(`${kind}/${name}`, owner);
        merged.components[kind] ??= {};
        merged.components[kind][name] = structuredClone(value);
      }
    }
    for (const tag of (document.tags ?? []) as { name: string }[]) {
      const clash = tagOwner.get(tag.name);
      if (clash) {
        if (clash !== owner) problems.push(`tag "${tag.name}" is defined by both ${clash} and ${owner}`);
        continue;
      }
      tagOwner.set(tag.name, owner);
      merged.tags.push(structuredClone(tag));
    }
  }
  if (problems.length > 0) throw new ContractError(problems);
  return merged;
}
