import type { SqlQuery } from '../db/sql-handles.ts';
import { likePattern, type ListEnvelope, listEnvelope, pageTotal, parseListQuery } from './list-query.ts';

/** One list resource, declared once: what it reads, how it sorts, filters and shows its rows. */
export interface ListSpec<Sort extends string, Row, Item> {
  /** The FROM clause: a table or a join. Row-level security holds the tenant condition. */
  from: string;
  /** The select list; default `*`. */
  select?: string;
  /** Sortable fields (the contract's `sortBy` enum) mapped to the SQL expression to order by. */
  sortable: Record<Sort, string>;
  defaultSort: NoInfer<Sort>;
  /** Equality filters: query parameter → column; each one present is echoed in `filters`. */
  equals?: Record<string, string>;
  /** Membership filters on array columns: query parameter → `text[]` column holding that value (a GIN index serves it). */
  contains?: Record<string, string>;
  /** Columns `q` matches, case-insensitively. */
  search?: string[];
  /** Ordered after the sort field so equal values still page stably; default `id`. */
  tieBreaker?: string;
  /** Rows whose sort value is null come last in ascending order (first in descending). */
  nullsLast?: boolean;
  maxLimit?: number;
  view(row: Row): Item;
}

export interface ListResource<Item> {
  /**
   * One page of the list as the contract's envelope. `scope` adds a fixed condition of the caller's
   * (e.g. the parent resource of a nested list), never anything from the request.
   */
  page(db: { query: SqlQuery }, query: Record<string, unknown>, scope?: { where: string; params: unknown[] }): Promise<ListEnvelope<Item>>;
}

/**
 * The list conventions (limit/offset, whitelisted sortBy, sortOrder, q, equality filters, the
 * total from a window count) as one helper: the sort map is written once, and its keys type
 * `defaultSort`. Column names come from the spec, never from the request.
 */
export function defineList<Sort extends string, Row, Item>(spec: ListSpec<Sort, Row, Item>): ListResource<Item> {
  const tieBreaker = spec.tieBreaker ?? 'id';
  return {
    async page(db, query, scope) {
      const list = parseListQuery(query, { sortable: spec.sortable, defaultSort: spec.defaultSort, maxLimit: spec.maxLimit });
      const where: string[] = scope ? [`(${scope.where})`] : [];
      const params: unknown[] = scope ? [...scope.params] : [];
      const filters: Record<string, unknown> = {};
      for (const [key, column] of Object.entries(spec.equals ?? {})) {
        if (query[key] === undefined) continue;
        where.push(`${column} = ?`);
        params.push(query[key]);
        filters[key] = query[key];
      }
      for (const [key, column] of Object.entries(spec.contains ?? {})) {
        if (query[key] === undefined) continue;
        where.push(`${column} @> ARRAY[?]::text[]`);
        params.push(query[key]);
        filters[key] = query[key];
      }
      if (list.q && spec.search?.length) {
        where.push(`(${spec.search.map((column) => `${column} ILIKE ? ESCAPE '\\'`).join(' OR ')})`);
        params.push(...spec.search.map(() => likePattern(list.q as string)));
      }
      const condition = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      const nulls = spec.nullsLast ? (list.sortOrder === 'asc' ? ' NULLS LAST' : ' NULLS FIRST') : '';
      const rows = await db.query<Row & { total: string }>(
        `SELECT ${spec.select ?? '*'}, count(*) OVER () AS total FROM ${spec.from} ${condition} ORDER BY ${list.orderBy}${nulls}, ${tieBreaker} LIMIT ? OFFSET ?`,
        [...params, list.limit, list.offset],
      );
      const total = await pageTotal(rows, list, async () => {
        const [count] = await db.query<{ count: string }>(`SELECT count(*) AS count FROM ${spec.from} ${condition}`, params);
        return Number(count.count);
      });
      return listEnvelope(
        rows.map(({ total: _, ...row }) => spec.view(row as Row)),
        total,
        list,
        filters,
      );
    },
  };
}
