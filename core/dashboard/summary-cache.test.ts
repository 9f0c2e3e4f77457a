import t from 'tap';
import { SummaryCache } from './summary-cache.ts';

function counter() {
  let calls = 0;
  let release: (value: number) => void = () => {};
  return {
    get calls() {
      return calls;
    },
    count: () => {
      calls += 1;
      return new Promise<number>((resolve) => {
        release = resolve;
      });
    },
    finish: (value: number) => release(value),
  };
}

t.test('fresh answers are reused, concurrent misses share one count, stale answers are served while one refresh runs', async (t) => {
  let now = 0;
  const cache = new SummaryCache<number>({ freshMs: 10_000, staleMs: 60_000, maxEntries: 2 }, () => now);
  const c = counter();
  const first = cache.get('acme', c.count);
  const second = cache.get('acme', c.count);
  c.finish(1);
  t.same(await Promise.all([first, second]), [1, 1]);
  t.equal(c.calls, 1, 'two misses at once, one count');

  now = 5_000;
  t.equal(await cache.get('acme', c.count), 1);
  t.equal(c.calls, 1, 'fresh: not counted again');

  now = 20_000;
  t.equal(await cache.get('acme', c.count), 1, 'stale: the last answer at once');
  t.equal(await cache.get('acme', c.count), 1);
  t.equal(c.calls, 2, 'and one refresh behind it');
  c.finish(2);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(await cache.get('acme', c.count), 2, 'the refreshed answer');

  now = 200_000;
  const expired = cache.get('acme', c.count);
  c.finish(3);
  t.equal(await expired, 3, 'past the stale limit, a request waits for a new count');
});

t.test('a failed count is not cached; the oldest workspace is evicted past maxEntries', async (t) => {
  const cache = new SummaryCache<number>({ freshMs: 10_000, staleMs: 60_000, maxEntries: 2 }, () => 0);
  await t.rejects(
    cache.get('a', () => Promise.reject(new Error('down'))),
    /down/,
  );
  t.equal(await cache.get('a', async () => 1), 1, 'counted again after a failure');
  await cache.get('b', async () => 2);
  await cache.get('c', async () => 3);
  t.equal(await cache.get('a', async () => 10), 10, 'a was evicted');
  t.equal(await cache.get('c', async () => 30), 3, 'c was kept');
});

t.test('past freshMs a request waits up to staleWaitMs for the new count, then takes the last one', async (t) => {
  let now = 0;
  const cache = new SummaryCache<number>({ freshMs: 10_000, staleMs: 60_000, staleWaitMs: 50, maxEntries: 2 }, () => now);
  t.equal(await cache.get('acme', async () => 1), 1);
  now = 11_000;
  t.equal(await cache.get('acme', async () => 2), 2, 'a quick count: the new answer, not the stale one');
  now = 22_000;
  const slow = counter();
  t.equal(await cache.get('acme', slow.count), 2, 'a slow count: the last answer once the wait is over');
  slow.finish(3);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(await cache.get('acme', slow.count), 3, 'and the slow count is there for the next request');
  t.equal(slow.calls, 1);
});
