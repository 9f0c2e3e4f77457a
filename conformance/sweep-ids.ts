import type { ContractOperation, ContractParameter, JsonObject } from './contract-document.ts';

/**
 * Where the cross-tenant sweep keeps workspace A's ids, and how it finds them in answers. An id
 * belongs to its *home*: the path template of the collection it was created in or listed from
 * (`/api/v1/tickets`, `/api/v1/tickets/{id}/comments`). A path parameter's home is the template in
 * front of it, so `{id}` of `/api/v1/tickets/{id}/comments` is filled with ids from `/api/v1/tickets`.
 */

export type Id = string | number;

const ID_KEY = /^(id|uuid)$|_id$|Id$/;
/** Ids this short could be anything (a count, a page number): they fill paths but are not searched for in bodies. */
const SEARCHABLE_LENGTH = 8;
/** A day or an instant under an id-like key (a bucket's) names no object. */
const DATE = /^\d{4}-\d{2}-\d{2}/;

/** The template in front of `{param}`: whose ids fill it. */
export function homeOf(path: string, param: string): string {
  const at = path.indexOf(`/{${param}}`);
  return at < 0 ? path : path.slice(0, at);
}

const idOf = (item: unknown): Id | undefined => {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return undefined;
  const record = item as JsonObject;
  for (const key of ['id', 'uuid']) if (typeof record[key] === 'string' || typeof record[key] === 'number') return record[key];
  return undefined;
};

/** The ids an answer is about: the object's own id, or its items' (a bare array, or any array property of an envelope). */
export function primaryIds(value: unknown): Id[] {
  const own = idOf(value);
  if (own !== undefined) return [own];
  const items = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value).filter(Array.isArray).flat() : [];
  return items.map(idOf).filter((id): id is Id => id !== undefined);
}

/** The items of a list answer (or the answer itself), for deciding which of them are A's. */
export function itemsOf(value: unknown): unknown[] {
  if (idOf(value) !== undefined) return [value];
  return Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value).filter(Array.isArray).flat() : [];
}

/** Every string under an id-like key, anywhere in `value`, long enough to search for. */
export function searchableIds(value: unknown): string[] {
  const out: string[] = [];
  const walk = (current: unknown, key: string) => {
    if (typeof current === 'string') {
      if (ID_KEY.test(key) && current.length >= SEARCHABLE_LENGTH && !DATE.test(current)) out.push(current);
    } else if (Array.isArray(current)) for (const item of current) walk(item, key);
    else if (current && typeof current === 'object') for (const [k, v] of Object.entries(current)) walk(v, k);
  };
  walk(value, '');
  return out;
}

export class WorkspaceIds {
  /** Ids by home, in the order they were seen. */
  readonly byHome = new Map<string, Id[]>();
  /** What must never appear in another workspace's answer. */
  readonly secrets = new Set<string>();

  add(home: string, ids: Id[]) {
    const list = this.byHome.get(home) ?? [];
    for (const id of ids) if (!list.includes(id)) list.push(id);
    if (list.length > 0) this.byHome.set(home, list);
  }

  remember(values: Iterable<string>) {
    for (const value of values) this.secrets.add(value);
  }

  /** One id of every home, for a parameter whose own home holds none of A's objects. */
  anyOfEachHome(): Id[] {
    return [...this.byHome.values()].map((ids) => ids[0]!);
  }

  /** Which of A's secrets `text` contains, leaving out what the request itself sent. */
  leakedIn(text: string, sent: string): string[] {
    return [...this.secrets].filter((secret) => text.includes(secret) && !sent.includes(secret));
  }
}

/** Candidate values of each path parameter: A's ids from its home, enum values for a fixed word like `{targetType}`. */
export function pathCandidates(
  operation: ContractOperation,
  ids: WorkspaceIds,
  accepts: (parameter: ContractParameter, value: unknown) => boolean,
  resolveEnum: (parameter: ContractParameter) => unknown[] | undefined,
): { values: Map<string, Id[]>; ownHome: boolean } | undefined {
  const values = new Map<string, Id[]>();
  let ownHome = true;
  for (const parameter of operation.parameters.filter((p) => p.in === 'path')) {
    const fixed = resolveEnum(parameter);
    if (fixed) {
      values.set(parameter.name, fixed as Id[]);
      continue;
    }
    let candidates = (ids.byHome.get(homeOf(operation.path, parameter.name)) ?? []).filter((id) => accepts(parameter, id));
    if (candidates.length === 0) {
      ownHome = false;
      candidates = ids.anyOfEachHome().filter((id) => accepts(parameter, id));
    }
    if (candidates.length === 0) return undefined;
    values.set(parameter.name, candidates);
  }
  return { values, ownHome };
}

/** Paths filled from the candidates, zipped (the i-th of each, cycling the shorter lists), at most `limit`. */
export function fillPaths(path: string, values: Map<string, Id[]>, limit: number): { path: string; sent: string }[] {
  const count = Math.min(limit, Math.max(1, ...[...values.values()].map((list) => list.length)));
  return Array.from({ length: count }, (_, i) => {
    let filled = path;
    for (const [name, list] of values) filled = filled.replaceAll(`{${name}}`, encodeURIComponent(String(list[i % list.length])));
    return { path: filled, sent: decodeURIComponent(filled) };
  });
}
