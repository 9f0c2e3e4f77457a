import { likePattern, listEnvelope, parseListQuery, type SqlQuery } from '../../../core/plugin-api/index.ts';
import { type TicketRow, ticketColumns, ticketView } from './ticket-rows.ts';

/** Up to this many matches `total` is an exact count; beyond it, the planner's estimate. */
export const exactTotalCap = 10_000;

const sortable = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  priority: "CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END",
  status: "CASE status WHEN 'new' THEN 0 WHEN 'open' THEN 1 WHEN 'pending' THEN 2 WHEN 'resolved' THEN 3 ELSE 4 END",
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

/**
 * A page of tickets in the list envelope. The conventions (limit, offset, whitelisted sortBy,
 * sortOrder, q) are core's; the total is not a window count over every match, which reads the
 * whole filtered set (a million rows: seconds). Instead it counts at most `exactTotalCap + 1`
 * matching rows (an index-only walk of milliseconds); when there are more, it asks the planner
 * for its estimate of the filtered set, and says so with `page.totalIsEstimate`.
 */
export async function listTickets(query: SqlQuery, request: Record<string, unknown>) {
  const list = parseListQuery<keyof typeof sortable>(request, { sortable, defaultSort: 'createdAt' });
  const where: string[] = [];
  const params: unknown[] = [];
  const filters: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(equals)) {
    if (request[key] === undefined) continue;
    where.push(`${column} = ?`);
    params.push(request[key]);
    filters[key] = request[key];
  }
  if (request.tag !== undefined) {
    where.push('tags @> ARRAY[?]::text[]');
    params.push(request.tag);
    filters.tag = request.tag;
  }
  if (request.breached !== undefined) {
    where.push(request.breached ? '(first_response_breached OR resolution_breached)' : 'NOT (first_response_breached OR resolution_breached)');
    filters.breached = request.breached;
  }
  if (list.q) {
    // search_text is lower-cased; LIKE on it uses the trigram index.
    where.push("search_text LIKE ? ESCAPE '\\'");
    params.push(likePattern(list.q.toLowerCase()));
  }
  const condition = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const nulls = list.sortBy === 'resolutionDueAt' ? (list.sortOrder === 'asc' ? ' NULLS LAST' : ' NULLS FIRST') : '';
  const [rows, counted] = await Promise.all([
    query<TicketRow>(`SELECT ${ticketColumns} FROM ticket ${condition} ORDER BY ${list.orderBy}${nulls}, id ${list.sortOrder} LIMIT ? OFFSET ?`, [
      ...params,
      list.limit,
      list.offset,
    ]),
    query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM ticket ${condition} LIMIT ${exactTotalCap + 1}) capped`, params),
  ]);
  let total = counted[0].n;
  let estimated = false;
  if (total > exactTotalCap) {
    const [plan] = await query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(`EXPLAIN (FORMAT JSON) SELECT 1 FROM ticket ${condition}`, params);
    total = Math.max(exactTotalCap + 1, Math.round(plan['QUERY PLAN'][0].Plan['Plan Rows']));
    estimated = true;
  }
  const envelope = listEnvelope(rows.map(ticketView), total, list, filters);
  return { ...envelope, page: { ...envelope.page, totalIsEstimate: estimated } };
}
