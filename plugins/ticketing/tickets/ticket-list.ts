import { type DatabaseService, likePattern, listEnvelope, parseListQuery, type SqlQuery, type Tx } from '../../../core/plugin-api/index.ts';
import { type TicketRow, ticketColumns, ticketView } from './ticket-rows.ts';

/** Up to this many matches `total` is an exact count; beyond it, the planner's estimate. */
export const exactTotalCap = 1000;
/** A `q` matching at most this many tickets is answered from its trigram matches, sorted. */
const fewMatches = 2000;
/** Tickets of the sort order a `q` or `tag` is first looked for in (a common term fills its page there). */
const window = 5000;

const sortable = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  priority: 'priority_rank',
  status: 'status_rank',
  title: 'lower(title)',
  resolutionDueAt: 'resolution_due_at',
};

const equals: Record<string, string> = {
  status: 'status',
  priority: 'priority',
  type: 'type',
  assignee: 'assignee',
  requester: 'requester',
  clientId: 'client_id',
};

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
 * - `q` and `tag` are first looked for among the first `window` tickets of the sort order: a
 *   common term fills its page there (the total is its share of hits there times the planner's
 *   count of the other filters' matches), and a workspace with fewer tickets is answered exactly;
 * - otherwise `q` (a trigram index on the lower-cased text) and `tag` (a GIN index on the tags) are
 *   tried through their index alone, with
 *   at most `fewMatches + 1` hits: few hits are sorted and paged exactly; many hits mean the term
 *   (or tag) is common, and walking the sort order's index finds a page of them quickly (the
 *   planner's guess for LIKE '%…%' is too poor to leave that choice to it).
 *
 * That probe is the one read through the platform handle, naming the workspace itself: under
 * row-level security PostgreSQL may not use an index for LIKE or @> (their operators are not
 * leakproof), so a rare term or tag would read every ticket. The probe returns ids only; the rows, and
 * so the page and its total, are read through the workspace's handle, where row-level security
 * holds as everywhere else.
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
  if (request.tag !== undefined) {
    ginWhere.push('tags @> ARRAY[?]::text[]');
    ginParams.push(request.tag);
    filters.tag = request.tag;
  }
  if (list.q) {
    ginWhere.push("search_text LIKE ? ESCAPE '\\'");
    ginParams.push(likePattern(list.q.toLowerCase()));
  }
  const where = [...plainWhere, ...ginWhere];
  const params = [...plainParams, ...ginParams];
  const condition = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const nulls = list.sortBy === 'resolutionDueAt' ? (list.sortOrder === 'asc' ? ' NULLS LAST' : ' NULLS FIRST') : '';
  const order = `ORDER BY ${list.orderBy}${nulls}, id ${list.sortOrder}`;
  const page = (tx: Tx, scope = condition, scopeParams = params) =>
    tx.query<TicketRow>(`SELECT ${ticketColumns} FROM ticket ${scope} ${order} LIMIT ? OFFSET ?`, [...scopeParams, list.limit, list.offset]);

  const { rows, total, estimated } = await database.transaction(async (tx) => {
    // `q` and `tag` need their GIN indexes (LIKE and @> are not leakproof: see above).
    if (ginWhere.length > 0) {
      // First the newest (or first) `window` tickets of the sort order: a common term fills the page
      // from them, and their share of hits scales the planner's count of the other filters' matches.
      if (list.offset + list.limit <= window) {
        const plain = plainWhere.length > 0 ? `WHERE ${plainWhere.join(' AND ')}` : '';
        const windowed = `(SELECT * FROM ticket ${plain} ${order} LIMIT ${window}) w`;
        const rows = await tx.query<TicketRow>(`SELECT ${ticketColumns} FROM ${windowed} WHERE ${ginWhere.join(' AND ')} ${order} LIMIT ? OFFSET ?`, [
          ...params,
          list.limit,
          list.offset,
        ]);
        const [{ seen, hit }] = await tx.query<{ seen: number; hit: number }>(
          `SELECT count(*)::int AS seen, (count(*) FILTER (WHERE ${ginWhere.join(' AND ')}))::int AS hit FROM ${windowed}`,
          // Placeholders in the order they appear: the FILTER's before the window's.
          [...ginParams, ...plainParams],
        );
        // The window held every ticket of the other filters: page and total are exact.
        if (seen < window) return { rows, total: hit, estimated: false };
        if (rows.length === list.limit) {
          const scaled = Math.round((hit / seen) * (await estimate(tx.query, plain, plainParams)));
          return { rows, total: Math.max(scaled, hit), estimated: true };
        }
      }
      // Bitmap scans only: the GIN index answers which tickets match, without walking the sort order.
      const hits = await databaseService.platform.transaction(async (probe) => {
        await probe.query('SET LOCAL enable_indexscan = off');
        await probe.query('SET LOCAL enable_seqscan = off');
        return probe.query<{ id: string }>(
          `SELECT id FROM ticket WHERE tenant_id = ? ${condition ? `AND ${where.join(' AND ')}` : ''} LIMIT ${fewMatches + 1}`,
          [tenantId, ...params],
        );
      });
      if (hits.length <= fewMatches) {
        const scope = `WHERE id = ANY(?::uuid[]) AND ${where.join(' AND ')}`;
        const scoped = [hits.map((h) => h.id), ...params];
        const rows = await page(tx, scope, scoped);
        const [{ n }] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ticket ${scope}`, scoped);
        return { rows, total: n, estimated: false };
      }
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
