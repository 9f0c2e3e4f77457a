import { type DatabaseService, likePattern, listEnvelope, parseListQuery, type SqlQuery, type Tx } from '../../../core/plugin-api/index.ts';
import { type TicketRow, ticketColumns, ticketNumberOf, ticketView } from './ticket-rows.ts';

/** Up to this many matches `total` is an exact count; beyond it, the planner's estimate. */
export const exactTotalCap = 1000;
/** A `q` matching at most this many tickets is answered from its trigram matches, sorted. */
const fewMatches = 2000;
/** Tickets of the sort order a `q` or `tag` is first looked for in (a common term fills its page there). */
const window = 2000;

const sortable = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  priority: 'priority_rank',
  status: 'status_rank',
  title: 'lower(title)',
  resolutionDueAt: 'resolution_due_at',
};

/** The columns `sortable`'s expressions read (`lower(title)` reads `title`); the id that ends each order is selected beside them. */
const sortColumns = 'created_at, updated_at, priority_rank, status_rank, title, resolution_due_at';

const equals: Record<string, string> = {
  status: 'status',
  priority: 'priority',
  type: 'type',
  assignee: 'assignee',
  requester: 'requester',
  clientId: 'client_id',
};

/**
 * The word prefixes a `q` (lower-cased) implies, for `ticket_word_ids` (migration 0004): a run of
 * a-z/0-9 with another character before it in `q` begins a word of every matching ticket (`word`),
 * one with another character after it ends one (`~` and the run reversed). A run longer than the
 * index keeps of a word (100 characters) is left out; a `q` with no other characters gives none.
 */
export function wordPrefixes(q: string): string[] {
  const prefixes: string[] = [];
  for (const run of q.matchAll(/[0-9a-z]+/g)) {
    const [word, start] = [run[0], run.index ?? 0];
    if (word.length > 100) continue;
    if (start > 0) prefixes.push(word);
    if (start + word.length < q.length) prefixes.push(`~${[...word].reverse().join('')}`);
  }
  // The longest first: the function estimates the first eight, and a longer prefix is usually rarer.
  return [...new Set(prefixes)].sort((a, b) => b.length - a.length).slice(0, 8);
}

/** The planner's estimate of the rows a condition matches (a plan, no execution). */
async function estimate(query: SqlQuery, condition: string, params: unknown[]): Promise<number> {
  const [plan] = await query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(`EXPLAIN (FORMAT JSON) SELECT 1 FROM ticket ${condition}`, params);
  return Math.round(plan['QUERY PLAN'][0].Plan['Plan Rows']);
}

/**
 * A page of tickets in the list envelope. The conventions (limit, offset, whitelisted sortBy,
 * sortOrder, q) are core's; how the page and its total are found is ours, because a window count
 * over a million matches takes seconds:
 * - the last page knows its total (offset + rows);
 * - otherwise the planner estimates the matches: a large set takes the estimate as its total
 *   (`page.totalIsEstimate`), a small one is counted exactly, at most `exactTotalCap + 1` rows;
 * - a page past the first finds its ids through the sort order's index alone, then reads those
 *   rows (a deep offset would otherwise fetch every skipped ticket);
 * - a `q` with words in it (a run of letters and digits next to another character: `q`'s matches
 *   begin or end a word with it) is first looked for by its rarest word through a words index
 *   (`ticket_word_ids`, migration 0004): a rare one's hits, rechecked as substrings, are sorted,
 *   paged and counted exactly (a term of common trigrams read thousands of trigram index pages
 *   where this reads a few); a common one goes on as below;
 * - `q` and `tag` are first looked for among the first `window` tickets of the sort order, in one
 *   pass: a common term fills its page there (the total is its share of hits there times the
 *   planner's count of the other filters' matches), and a workspace with fewer tickets is
 *   answered exactly;
 * - otherwise `q` (a trigram index on the lower-cased text) and `tag` (a GIN index on the tags) are
 *   probed through their indexes alone, at most `fewMatches + 1` hits: few hits are sorted and paged
 *   exactly; many mean the term (or tag) is common, and walking the sort order's index finds a
 *   page of them quickly (the planner's guess for LIKE '%…%' is too poor to leave that choice to it).
 *
 * The probes are `ticket_search_ids` (migration 0002) and `ticket_word_ids` (0004): under
 * row-level security PostgreSQL may not use an index for LIKE, @> or @@ (their operators are not
 * leakproof), so a rare term or tag would read every ticket. The functions run as the tables' owner
 * and take the workspace from the session's setting, as the policies do; they return ids only, and
 * the rows, so the page and its total, are read under row-level security like everything else.
 */
export async function listTickets(databaseService: DatabaseService, tenantId: string, request: Record<string, unknown>) {
  const database = databaseService.forTenant(tenantId);
  const list = parseListQuery<keyof typeof sortable>(request, { sortable, defaultSort: 'createdAt' });
  // Equality filters use any index under row-level security; `tag` and `q` need their GIN indexes.
  const plainWhere: string[] = [];
  const plainParams: unknown[] = [];
  const ginWhere: string[] = [];
  const ginParams: unknown[] = [];
  const filters: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(equals)) {
    if (request[key] === undefined) continue;
    plainWhere.push(`${column} = ?`);
    plainParams.push(request[key]);
    filters[key] = request[key];
  }
  if (request.breached !== undefined) {
    plainWhere.push(request.breached ? '(first_response_breached OR resolution_breached)' : 'NOT (first_response_breached OR resolution_breached)');
    filters.breached = request.breached;
  }
  const tag = request.tag === undefined ? null : String(request.tag);
  if (tag !== null) {
    ginWhere.push('tags @> ARRAY[?]::text[]');
    ginParams.push(tag);
    filters.tag = tag;
  }
  // `q=TCK-42` finds the ticket with that key (its unique index), not text mentioning it.
  const keyed = list.q ? ticketNumberOf(list.q.trim().toUpperCase()) : undefined;
  if (keyed !== undefined) {
    plainWhere.push('number = ?');
    plainParams.push(keyed);
  }
  const pattern = list.q && keyed === undefined ? likePattern(list.q.toLowerCase()) : null;
  if (pattern !== null) {
    ginWhere.push("search_text LIKE ? ESCAPE '\\'");
    ginParams.push(pattern);
  }
  const where = [...plainWhere, ...ginWhere];
  const params = [...plainParams, ...ginParams];
  const condition = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const nulls = list.sortBy === 'resolutionDueAt' ? (list.sortOrder === 'asc' ? ' NULLS LAST' : ' NULLS FIRST') : '';
  const order = `ORDER BY ${list.orderBy}${nulls}, id ${list.sortOrder}`;
  const page = (tx: Tx, scope = condition, scopeParams = params) =>
    list.offset === 0
      ? tx.query<TicketRow>(`SELECT ${ticketColumns} FROM ticket ${scope} ${order} LIMIT ? OFFSET 0`, [...scopeParams, list.limit])
      : // The skipped tickets are passed over in the index (an index-only scan where the filters are
        // in it); only the page's own rows are fetched. `= ANY(ARRAY(…))`, not `IN (…)`: planning
        // the semi-join read ~600 buffers (1.4 ms), this reads 2 (0.2 ms).
        tx.query<TicketRow>(`SELECT ${ticketColumns} FROM ticket WHERE id = ANY(ARRAY(SELECT id FROM ticket ${scope} ${order} LIMIT ? OFFSET ?)) ${order}`, [
          ...scopeParams,
          list.limit,
          list.offset,
        ]);

  const { rows, total, estimated } = await database.transaction(async (tx) => {
    // Few matches, found by their ids: sorted, paged and counted exactly in one pass over them.
    const fromIds = async (ids: string[]) => {
      const scope = `WHERE id = ANY(?::uuid[]) AND ${where.join(' AND ')}`;
      const scoped = [ids, ...params];
      const rows = await tx.query<TicketRow & { n: number }>(
        `SELECT ${ticketColumns}, count(*) OVER ()::int AS n FROM ticket ${scope} ${order} LIMIT ? OFFSET ?`,
        [...scoped, list.limit, list.offset],
      );
      if (rows.length > 0) return { rows, total: Number(rows[0].n), estimated: false };
      const [{ n }] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ticket ${scope}`, scoped);
      return { rows, total: n, estimated: false };
    };
    // A `q` with a rare word is found through the words index first (a few buffers, where the
    // trigram index reads thousands for a term of common trigrams); a common one gives null.
    const prefixes = pattern === null ? [] : wordPrefixes(String(list.q).toLowerCase());
    if (prefixes.length > 0) {
      const [{ ids }] = await tx.query<{ ids: string[] | null }>('SELECT ticket_word_ids(?::text[], ?, ?, ?) AS ids', [prefixes, pattern, tag, fewMatches + 1]);
      if (ids !== null && ids.length <= fewMatches) return fromIds(ids);
    }
    if (ginWhere.length > 0) {
      // First the first `window` tickets of the sort order, in one pass: the page of hits among
      // them and, on each row, how many the window held and how many of those were hits.
      if (list.offset + list.limit <= window) {
        const plain = plainWhere.length > 0 ? `WHERE ${plainWhere.join(' AND ')}` : '';
        // The window holds its sort keys and hits only (a window of whole rows, buffered for its
        // counts, took twice as long); the page's own rows are fetched by id (as an array, as above).
        const rows = await tx.query<TicketRow & { seen: number; hits: number }>(
          `WITH w AS MATERIALIZED (SELECT id, ${sortColumns}, ${ginWhere.join(' AND ')} AS hit FROM ticket ${plain} ${order} LIMIT ${window}),
                counts AS (SELECT count(*) AS seen, count(*) FILTER (WHERE hit) AS hits FROM w)
           SELECT ${ticketColumns}, seen, hits FROM ticket, counts WHERE id = ANY(ARRAY(SELECT id FROM w WHERE hit ${order} LIMIT ? OFFSET ?)) ${order}`,
          [...ginParams, ...plainParams, list.limit, list.offset],
        );
        const counts = rows[0];
        // The window held every ticket of the other filters: page and total are exact.
        if (counts && Number(counts.seen) < window) return { rows, total: Number(counts.hits), estimated: false };
        if (rows.length === list.limit) {
          const [seen, hits] = [Number(counts.seen), Number(counts.hits)];
          const scaled = Math.round((hits / seen) * (await estimate(tx.query, plain, plainParams)));
          return { rows, total: Math.max(scaled, hits), estimated: true };
        }
      }
      const hits = await tx.query<{ id: string }>('SELECT ticket_search_ids(?, ?, ?) AS id', [pattern, tag, fewMatches + 1]);
      if (hits.length <= fewMatches) return fromIds(hits.map((h) => h.id));
      // A common term: walk the sort order's index, filtering; matches are dense enough to fill a page at once.
      // The planner, thinking the term rare, would otherwise read every ticket and sort them.
      await tx.query('SET LOCAL enable_bitmapscan = off');
      await tx.query('SET LOCAL enable_seqscan = off');
      const rows = await page(tx);
      await tx.query('RESET enable_bitmapscan');
      await tx.query('RESET enable_seqscan');
      const lastPage = rows.length < list.limit && (rows.length > 0 || list.offset === 0);
      if (lastPage) return { rows, total: list.offset + rows.length, estimated: false };
      return { rows, total: Math.max(fewMatches + 1, await estimate(tx.query, condition, params)), estimated: true };
    }
    const rows = await page(tx);
    // A short page that is not past the end is the last one: its total needs no count.
    if (rows.length < list.limit && (rows.length > 0 || list.offset === 0)) return { rows, total: list.offset + rows.length, estimated: false };
    const guess = await estimate(tx.query, condition, params);
    if (guess > 10 * exactTotalCap) return { rows, total: guess, estimated: true };
    const [{ n }] = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM ticket ${condition} LIMIT ${exactTotalCap + 1}) capped`,
      params,
    );
    return n > exactTotalCap ? { rows, total: Math.max(n, guess), estimated: true } : { rows, total: n, estimated: false };
  });
  const envelope = listEnvelope(rows.map(ticketView), total, list, filters);
  return { ...envelope, page: { ...envelope.page, totalIsEstimate: estimated } };
}
