import t from 'tap';
import { type Page, paginate } from './pagination.ts';

/** A list endpoint over an array that, like the server, may cap the page size. */
function listOf<T>(items: T[], cap = Infinity) {
  const calls: [number, number][] = [];
  const fetchPage = async (offset: number, limit: number): Promise<Page<T>> => {
    calls.push([offset, limit]);
    const data = items.slice(offset, offset + Math.min(limit, cap));
    return { data, page: { limit: Math.min(limit, cap), offset, returned: data.length, total: items.length } };
  };
  return { fetchPage, calls };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const items = Array.from({ length: 23 }, (_, i) => `item-${i}`);

t.test('iterates every item across pages, in order', async (t) => {
  const list = listOf(items);
  t.same(await collect(paginate(list.fetchPage, { limit: 10 })), items);
  t.same(list.calls, [
    [0, 10],
    [10, 10],
    [20, 10],
  ]);
});

t.test('an exact multiple of the page size needs no trailing empty request', async (t) => {
  const list = listOf(items.slice(0, 20));
  t.equal((await collect(paginate(list.fetchPage, { limit: 10 }))).length, 20);
  t.equal(list.calls.length, 2);
});

t.test('advances by what was returned when the server caps the limit', async (t) => {
  const list = listOf(items, 4);
  t.same(await collect(paginate(list.fetchPage, { limit: 10 })), items);
  t.same(
    list.calls.map(([offset]) => offset),
    [0, 4, 8, 12, 16, 20],
  );
});

t.test('an empty list, a start offset, and stopping early', async (t) => {
  t.same(await collect(paginate(listOf([]).fetchPage)), []);
  t.same(await collect(paginate(listOf(items).fetchPage, { offset: 20 })), ['item-20', 'item-21', 'item-22']);
  const list = listOf(items);
  for await (const item of paginate(list.fetchPage, { limit: 5 })) if (item === 'item-6') break;
  t.equal(list.calls.length, 2, 'pages are fetched only as the loop consumes them');
});

t.test('a total that is larger than what the server has does not loop forever', async (t) => {
  const fetchPage = async (offset: number): Promise<Page<number>> => ({
    data: offset < 3 ? [offset] : [],
    page: { limit: 1, offset, returned: offset < 3 ? 1 : 0, total: 100 },
  });
  t.same(await collect(paginate(fetchPage, { limit: 1 })), [0, 1, 2]);
  await t.rejects(collect(paginate(fetchPage, { limit: 0 })), RangeError);
});
