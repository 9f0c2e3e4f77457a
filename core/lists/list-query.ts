import { AppError } from '../errors/app-error.ts';

export interface ListOptions<Sort extends string> {
  /** Sortable fields (the contract's sortBy enum) mapped to the SQL expression to order by. */
  sortable: Record<Sort, string>;
  defaultSort: Sort;
  maxLimit?: number;
}

export interface ListQuery<Sort extends string = string> {
  limit: number;
  offset: number;
  sortBy: Sort;
  sortOrder: 'asc' | 'desc';
  q?: string;
  /** `ORDER BY` body built only from whitelisted expressions (safe to interpolate). */
  orderBy: string;
}

export interface ListEnvelope<T> {
  data: T[];
  page: { limit: number; offset: number; returned: number; total: number };
  sort: { by: string; order: 'asc' | 'desc' };
  filters: Record<string, unknown>;
}

/**
 * The workspace API's list conventions in one place: limit/offset paging, a whitelisted sortBy,
 * sortOrder and a free-text q. The contract already rejected bad values with 400; this re-checks
 * so a handler can never build SQL from an unlisted field.
 */
export function parseListQuery<Sort extends string>(query: Record<string, unknown>, options: ListOptions<Sort>): ListQuery<Sort> {
  const maxLimit = options.maxLimit ?? 1000;
  const limit = query.limit === undefined ? 50 : Number(query.limit);
  const offset = query.offset === undefined ? 0 : Number(query.offset);
  const sortBy = (query.sortBy ?? options.defaultSort) as Sort;
  const sortOrder = (query.sortOrder ?? 'asc') as 'asc' | 'desc';
  const problems: { path: string; message: string }[] = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) problems.push({ path: '/query/limit', message: `must be an integer from 1 to ${maxLimit}` });
  if (!Number.isInteger(offset) || offset < 0) problems.push({ path: '/query/offset', message: 'must be a non-negative integer' });
  if (!Object.hasOwn(options.sortable, sortBy)) problems.push({ path: '/query/sortBy', message: `must be one of ${Object.keys(options.sortable).join(', ')}` });
  if (sortOrder !== 'asc' && sortOrder !== 'desc') problems.push({ path: '/query/sortOrder', message: 'must be asc or desc' });
  if (problems.length > 0) throw new AppError('validation_failed', 'Invalid list parameters', { details: problems });
  const q = typeof query.q === 'string' && query.q.trim() !== '' ? query.q.trim() : undefined;
  const direction = sortOrder === 'desc' ? 'DESC' : 'ASC';
  return { limit, offset, sortBy, sortOrder, q, orderBy: `${options.sortable[sortBy]} ${direction}` };
}

export function listEnvelope<T>(data: T[], total: number, query: ListQuery, filters: Record<string, unknown> = {}): ListEnvelope<T> {
  return {
    data,
    page: { limit: query.limit, offset: query.offset, returned: data.length, total },
    sort: { by: query.sortBy, order: query.sortOrder },
    filters: { ...(query.q ? { q: query.q } : {}), ...filters },
  };
}

/**
 * A list's total from its page's rows (each carries `count(*) OVER ()` as `total`). A page past the
 * end has no row to carry it; only then is `count` run.
 */
export async function pageTotal(rows: readonly { total: string | number }[], query: Pick<ListQuery, 'offset'>, count: () => Promise<number>): Promise<number> {
  if (rows.length > 0) return Number(rows[0].total);
  return query.offset > 0 ? count() : 0;
}

/** Escapes a free-text filter for `ILIKE ... ESCAPE '\'`. */
export const likePattern = (q: string) => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
