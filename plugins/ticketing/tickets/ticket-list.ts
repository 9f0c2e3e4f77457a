import { type DatabaseService, likePattern, listEnvelope, parseListQuery, type SqlQuery } from '../../../core/plugin-api/index.ts';
import { ticketNumberOf, type TicketViewRow, ticketView, ticketViewColumns } from './ticket-rows.ts';

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
 * The word prefixes a `q` (lower-cased) implies, for the words index (migrations 0004 and 0005): a run of
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

/** How long a planner estimate is reused for the same workspace and filters, and how many are kept. */
const estimateTtlMs = 30_000;
const maxEstimates = 10_000;

const estimateKey = (tenantId: string, condition: string, params: unknown[]) => `${tenantId}\u0000${condition}\u0000${JSON.stringify(params)}`;

/** Values kept for a while on a clock; past `max` entries the oldest goes. */
class Kept<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(private readonly now: () => number) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    return entry && entry.until > this.now() ? entry.value : undefined;
  }

  set(key: string, value: V): void {
    // Oldest first out: a Map iterates in insertion order, and a renewed entry is inserted anew.
    this.entries.delete(key);
    if (this.entries.size >= maxEstimates) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, until: this.now() + estimateTtlMs });
  }
}

/**
 * Pages of a workspace's tickets in the list envelope. The conventions (limit, offset, whitelisted
 * sortBy, sortOrder, q) are core's; how the page and its total are found is ours, because a window
 * count over a million matches takes seconds:
 * - the last page knows its total (offset + rows);
 * - otherwise the planner estimates the matches: a large set takes the estimate as its total
 *   (`page.totalIsEstimate`), a small one is counted exactly, at most `exactTotalCap + 1` rows.
 *   An estimate is reused for 30 s for the same workspace and filters (the next page, a console's
 *   refresh): it moves only with ANALYZE and the table's size, and asking costs a round trip and a
 *   plan, a third of a plain page's work;
 * - a page past the first finds its ids through the sort order's index alone, then reads those
 *   rows (a deep offset would otherwise fetch every skipped ticket);
 * - a `q` with words in it (a run of letters and digits next to another character: `q`'s matches
 *   begin or end a word with it) is first looked for by its rarest word through a words index
 *   (`ticket_word_hits`, migration 0005; the words' estimates are kept like the others): a rare
 *   one's hits, checked as substrings by the probe, are sorted, paged and counted exactly in the
 *   probe's statement (a term of common trigrams read thousands of trigram index pages where this
 *   reads a few); a common one goes on as below;
 * - `q` and `tag` are first looked for among the first `window` tickets of the sort order: where
 *   the other filters match at most about `window` tickets, all of them in one pass (page and total
 *   exact); otherwise the sort order is walked until the page is full, at most `window` tickets (a
 *   common term fills its page after a few hundred; its share of hits there times the planner's
 *   count of the other filters' matches is the total);
 * - otherwise `q` (a trigram index on the lower-cased text) and `tag` (a GIN index on the tags) are
 *   probed through their indexes alone, at most `fewMatches + 1` hits: few hits are sorted and paged
 *   exactly; many mean the term (or tag) is common, and walking the sort order's index finds a
 *   page of them quickly (the planner's guess for LIKE '%…%' is too poor to leave that choice to it).
 *
 * A page's statements run one by one, outside a transaction (BEGIN and COMMIT were two of a plain
 * page's four round trips). The rows of a page always come from one statement, which applies every
 * filter itself; only a separate count may see the tickets a moment later than the page did.
 *
 * The probes are `ticket_search_ids` (migration 0002) and `ticket_word_hits` (0005): under
 * row-level security PostgreSQL may not use an index for LIKE, @> or @@ (their operators are not
 * leakproof), so a rare term or tag would read every ticket. The functions run as the tables' owner
 * and take the workspace from the session's setting, as the policies do; they return ids only, and
 * the rows, so the page and its total, are read under row-level security like everything else.
 */
export class TicketList {
  private readonly estimates: Kept<number>;
  private readonly wordEstimates: Kept<{ estimate: number; usable: boolean }>;

  constructor(
    private readonly databaseService: DatabaseService,
    now: () => number = Date.now,
  ) {
    this.estimates = new Kept(now);
    this.wordEstimates = new Kept(now);
  }

  async page(tenantId: string, request: Record<string, unknown>) {
    const database = this.databaseService.forTenant(tenantId);
    const query = database.query;
    const estimate = (condition: string, params: unknown[]) => this.estimate(query, tenantId, condition, params);
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
    // The capped count of the filters' matches, as a column a page's statement may carry.
    const cappedCount = `(SELECT count(*)::int FROM (SELECT 1 FROM ticket ${condition} LIMIT ${exactTotalCap + 1}) capped) AS capped`;
    const page = (run: SqlQuery, scope = condition, scopeParams = params, counted = false) => {
      const columns = counted ? `${ticketViewColumns}, ${cappedCount}` : ticketViewColumns;
      const countParams = counted ? params : [];
      return list.offset === 0
        ? run<TicketViewRow & { capped?: number }>(`SELECT ${columns} FROM ticket ${scope} ${order} LIMIT ? OFFSET 0`, [
            ...countParams,
            ...scopeParams,
            list.limit,
          ])
        : // The skipped tickets are passed over in the index (an index-only scan where the filters are
          // in it); only the page's own rows are fetched. `= ANY(ARRAY(…))`, not `IN (…)`: planning
          // the semi-join read ~600 buffers (1.4 ms), this reads 2 (0.2 ms).
          run<TicketViewRow & { capped?: number }>(
            `SELECT ${columns} FROM ticket WHERE id = ANY(ARRAY(SELECT id FROM ticket ${scope} ${order} LIMIT ? OFFSET ?)) ${order}`,
            [...countParams, ...scopeParams, list.limit, list.offset],
          );
    };

    /**
     * Few matches, found by their ids through a probe (an array of them, or null where the term is
     * too common for the probe), then sorted, paged and counted exactly in the same statement (the
     * ids never travel to us and back). The probes check `q` and `tag` themselves, in this
     * statement's snapshot (they are STABLE), so only the other filters are applied here; without
     * any, the probe's count is the total. Null when the probe gave none of use: null, or more
     * than `fewMatches` ids (it stops at one more).
     */
    const probed = async (probe: string, probeParams: unknown[]) => {
      const scope = `WHERE ${['id = ANY(probe.ids)', ...plainWhere].join(' AND ')}`;
      const counted = plainWhere.length > 0;
      const rows = await query<TicketViewRow & { found: number | null; n: number }>(
        `WITH probe AS MATERIALIZED (SELECT ${probe} AS ids)
         SELECT cardinality(probe.ids) AS found, page.* FROM probe
           LEFT JOIN LATERAL (SELECT ${ticketViewColumns}${counted ? ', count(*) OVER ()::int AS n' : ''} FROM ticket ${scope} ${order} LIMIT ? OFFSET ?) page ON true`,
        [...probeParams, ...plainParams, list.limit, list.offset],
      );
      const found = rows[0].found;
      if (found === null || found > fewMatches) return null;
      // With no match on the page, the one row is the probe's alone.
      const page = rows[0].id === null ? [] : rows;
      if (!counted) return { rows: page, total: found, estimated: false };
      if (page.length > 0) return { rows: page, total: Number(page[0].n), estimated: false };
      if (list.offset === 0) return { rows: page, total: 0, estimated: false };
      // Past the last page: counted apart, as nothing on the page carries the count.
      const [{ n }] = await query<{ n: number }>(`WITH probe AS MATERIALIZED (SELECT ${probe} AS ids) SELECT count(*)::int AS n FROM probe, ticket ${scope}`, [
        ...probeParams,
        ...plainParams,
      ]);
      return { rows: page, total: n, estimated: false };
    };

    const found = await (async (): Promise<{ rows: TicketViewRow[]; total: number; estimated: boolean }> => {
      // A `q` with a rare word is found through the words index first (a few buffers, where the
      // trigram index reads thousands for a term of common trigrams); a common one gives null.
      const prefixes = pattern === null ? [] : wordPrefixes(String(list.q).toLowerCase());
      if (prefixes.length > 0) {
        const word = await this.rarestWord(query, tenantId, prefixes, fewMatches + 1);
        const few = word === null ? null : await probed('ticket_word_hits(?, ?, ?, ?)', [word, pattern, tag, fewMatches + 1]);
        if (few) return few;
      }
      if (ginWhere.length > 0) {
        if (list.offset + list.limit <= window) {
          const plain = plainWhere.length > 0 ? `WHERE ${plainWhere.join(' AND ')}` : '';
          const hit = ginWhere.join(' AND ');
          const others = await estimate(plain, plainParams);
          if (others <= window) {
            // Few tickets match the other filters: all of them (at most `window`) in one pass, their
            // sort keys and hits only (a window of whole rows, buffered for its counts, took twice as
            // long); the page's own rows are fetched by id (as an array, as above).
            const rows = await query<TicketViewRow & { seen: number; hits: number }>(
              `WITH w AS MATERIALIZED (SELECT id, ${sortColumns}, ${hit} AS hit FROM ticket ${plain} ${order} LIMIT ${window}),
                    counts AS (SELECT count(*) AS seen, count(*) FILTER (WHERE hit) AS hits FROM w)
               SELECT ${ticketViewColumns}, seen, hits FROM ticket, counts WHERE id = ANY(ARRAY(SELECT id FROM w WHERE hit ${order} LIMIT ? OFFSET ?)) ${order}`,
              [...ginParams, ...plainParams, list.limit, list.offset],
            );
            const counts = rows[0];
            // The window held every ticket of the other filters: page and total are exact.
            if (counts && Number(counts.seen) < window) return { rows, total: Number(counts.hits), estimated: false };
            if (rows.length === list.limit) {
              const [seen, hits] = [Number(counts.seen), Number(counts.hits)];
              return { rows, total: Math.max(Math.round((hits / seen) * others), hits), estimated: true };
            }
          } else {
            // Many: the sort order is walked until the page is full, its tickets numbered; the
            // window's last ticket comes along whether it is a hit or not, to tell a window that
            // ran out of tickets from one that ran out of hits. The rows come in the sort order: a
            // window function emits its rows in its own order (an ORDER BY here would read the
            // whole window before the first row).
            const rows = await query<TicketViewRow & { hit: boolean; rn: number }>(
              `SELECT * FROM (SELECT w.*, row_number() OVER (${order}) AS rn
                                FROM (SELECT ${ticketViewColumns}, priority_rank, status_rank, ${hit} AS hit FROM ticket ${plain} ${order} LIMIT ${window}) w) n
                WHERE hit OR rn = ${window} LIMIT ?`,
              [...ginParams, ...plainParams, list.offset + list.limit],
            );
            const hits = rows.filter((row) => row.hit);
            const last = rows.at(-1);
            if (hits.length === list.offset + list.limit && last) {
              const seen = Number(last.rn);
              return { rows: hits.slice(list.offset), total: Math.max(Math.round((hits.length / seen) * others), hits.length), estimated: true };
            }
            // The window ran out of tickets before hits: it held every ticket of the other filters.
            if (!last || Number(last.rn) < window) return { rows: hits.slice(list.offset), total: hits.length, estimated: false };
          }
        }
        const few = await probed('ARRAY(SELECT ticket_search_ids(?, ?, ?))', [pattern, tag, fewMatches + 1]);
        if (few) return few;
        // A common term: walk the sort order's index, filtering; matches are dense enough to fill a page at once.
        // The planner, thinking the term rare, would otherwise read every ticket and sort them.
        const rows = await database.transaction(async (tx) => {
          await tx.query('SET LOCAL enable_bitmapscan = off');
          await tx.query('SET LOCAL enable_seqscan = off');
          return page(tx.query);
        });
        const lastPage = rows.length < list.limit && (rows.length > 0 || list.offset === 0);
        if (lastPage) return { rows, total: list.offset + rows.length, estimated: false };
        return { rows, total: Math.max(fewMatches + 1, await estimate(condition, params)), estimated: true };
      }
      // A kept estimate tells before the page whether its total will be counted: then the count
      // comes in the page's own statement.
      const kept = this.estimates.get(estimateKey(tenantId, condition, params));
      const counted = kept !== undefined && kept <= 10 * exactTotalCap;
      const rows = await page(query, condition, params, counted);
      // A short page that is not past the end is the last one: its total needs no count.
      if (rows.length < list.limit && (rows.length > 0 || list.offset === 0)) return { rows, total: list.offset + rows.length, estimated: false };
      const guess = kept ?? (await estimate(condition, params));
      if (guess > 10 * exactTotalCap) return { rows, total: guess, estimated: true };
      const n =
        counted && rows.length > 0
          ? Number(rows[0].capped)
          : (await query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM ticket ${condition} LIMIT ${exactTotalCap + 1}) capped`, params))[0].n;
      return n > exactTotalCap ? { rows, total: Math.max(n, guess), estimated: true } : { rows, total: n, estimated: false };
    })();
    const envelope = listEnvelope(found.rows.map(ticketView), found.total, list, filters);
    return { ...envelope, page: { ...envelope.page, totalIsEstimate: found.estimated } };
  }

  /** The planner's estimate of the rows a condition matches (a plan, no execution), reused for `estimateTtlMs`. */
  private async estimate(query: SqlQuery, tenantId: string, condition: string, params: unknown[]): Promise<number> {
    const key = estimateKey(tenantId, condition, params);
    const known = this.estimates.get(key);
    if (known !== undefined) return known;
    const [plan] = await query<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }>(`EXPLAIN (FORMAT JSON) SELECT 1 FROM ticket ${condition}`, params);
    const rows = Math.round(plan['QUERY PLAN'][0].Plan['Plan Rows']);
    this.estimates.set(key, rows);
    return rows;
  }

  /**
   * The rarest of `prefixes` by the planner's estimates (`ticket_word_estimates`, migration 0005),
   * going through them in order and stopping at one estimated at most `cap`; null when even the
   * rarest is a common term. Estimates are kept as the others are.
   */
  private async rarestWord(query: SqlQuery, tenantId: string, prefixes: string[], cap: number): Promise<string | null> {
    const key = (word: string) => `${tenantId}\u0000${word}`;
    let best: { word: string; estimate: number; usable: boolean } | undefined;
    for (const [i, word] of prefixes.entries()) {
      let known = this.wordEstimates.get(key(word));
      if (known === undefined) {
        const rows = await query<{ word: string; estimate: number; usable: boolean }>(
          'SELECT word, estimate::float8 AS estimate, usable FROM ticket_word_estimates(?::text[], ?)',
          [prefixes.slice(i), cap],
        );
        for (const row of rows) this.wordEstimates.set(key(row.word), { estimate: Number(row.estimate), usable: row.usable });
        known = this.wordEstimates.get(key(word));
        if (known === undefined) continue;
      }
      if (!best || known.estimate < best.estimate) best = { word, ...known };
      if (known.estimate <= cap) break;
    }
    return best?.usable ? best.word : null;
  }
}
