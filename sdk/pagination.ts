/** One page of a list envelope (`HeartbeatList`, `AlertList`, ...): the items and the total. */
export interface Page<T> {
  data: T[];
  page: { total: number; limit?: number; offset?: number; returned?: number };
}

/** The item type of a list envelope type: `ListItem<HeartbeatList>` is `Heartbeat`. */
export type ListItem<L> = L extends { data: (infer T)[] } ? T : never;

export interface PaginateOptions {
  /** Page size asked for (the API caps it at 1000). Default 100. */
  limit?: number;
  /** Where to start. Default 0. */
  offset?: number;
}

/**
 * Iterates every item of a paged list, fetching pages as the loop consumes them; the item type
 * comes from the list's generated type:
 *
 *     for await (const heartbeat of paginate((offset, limit) => ok(itops.GET('/api/v1/heartbeats', { params: { query: { offset, limit } } })))) ...
 *
 * It advances by the number of items actually returned (a server may cap `limit` below what was
 * asked) and stops at `total` or at the first empty page, so a total that shrinks while iterating
 * cannot loop forever.
 */
export async function* paginate<T>(
  fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
  options: PaginateOptions = {},
): AsyncGenerator<T, void, undefined> {
  const limit = options.limit ?? 100;
  let offset = options.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  while (true) {
    const { data, page } = await fetchPage(offset, limit);
    yield* data;
    offset += data.length;
    if (data.length === 0 || offset >= page.total) return;
  }
}
