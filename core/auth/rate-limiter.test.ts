import t from 'tap';
import { startTestKernel } from '../plugin-api/testing.ts';
import { leaseShare, RateLimiter } from './rate-limiter.ts';

// An hour-long window, so a run never straddles two (a run at the turn of the hour is retried).
const windowSeconds = 3600;
const secondsIntoHour = () => Math.floor(Date.now() / 1000) % windowSeconds;
// Limiters on one database are nodes: each holds its own leases.
const kernel = await startTestKernel(t);

t.test('two nodes sharing a limit admit at most the limit together, and lose at most one slice per other node', async (t) => {
  const nodes = [new RateLimiter(kernel.database.relaxedQuery), new RateLimiter(kernel.database.relaxedQuery)];
  const limit = 200;
  const slice = Math.ceil(limit / leaseShare);
  let admitted = 0;
  let refused: { retryAfterSeconds: number } | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (secondsIntoHour() > windowSeconds - 30) await new Promise((resolve) => setTimeout(resolve, (windowSeconds - secondsIntoHour() + 1) * 1000));
    const bucket = `test:shared:${attempt}`;
    // Concurrent hits on both nodes, more than the limit, as requests alternating between nodes would.
    const decisions = await Promise.all(Array.from({ length: 3 * limit }, (_, i) => nodes[i % 2].hit(bucket, limit, windowSeconds)));
    admitted = decisions.filter((d) => d.allowed).length;
    refused = decisions.find((d) => !d.allowed);
    if (secondsIntoHour() > 5) break;
  }
  t.ok(admitted <= limit, `never more than the limit across nodes (admitted ${admitted} of ${limit})`);
  t.ok(admitted >= limit - slice, `at most one unspent slice (${slice}) lost to the other node (admitted ${admitted})`);
  t.ok(refused && refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= windowSeconds, 'a refusal says when the window ends');
});

t.test('a limit of one slice per hit stays exact, and a node that saw the window spent refuses without asking again', async (t) => {
  let statements = 0;
  const counted: typeof kernel.database.relaxedQuery = (sql, params) => {
    statements += 1;
    return kernel.database.relaxedQuery(sql, params);
  };
  const a = new RateLimiter(counted);
  const b = new RateLimiter(kernel.database.relaxedQuery);
  const limit = 3;
  const bucket = `test:exact:${Date.now()}`;
  const first = [await a.hit(bucket, limit, windowSeconds), await b.hit(bucket, limit, windowSeconds), await a.hit(bucket, limit, windowSeconds)];
  t.same(
    first.map((d) => d.allowed),
    [true, true, true],
  );
  t.equal((await b.hit(bucket, limit, windowSeconds)).allowed, false, 'the fourth hit, on the other node, is refused');
  t.equal((await a.hit(bucket, limit, windowSeconds)).allowed, false);
  const asked = statements;
  t.equal((await a.hit(bucket, limit, windowSeconds)).allowed, false);
  t.equal(statements, asked, 'the spent window is remembered until it ends');
  t.equal((await a.hit(`${bucket}:other`, limit, windowSeconds)).allowed, true, 'buckets are separate');
});

t.test('a lease ends with its window: a refused bucket is admitted again once its window is over', async (t) => {
  const limiter = new RateLimiter(kernel.database.relaxedQuery);
  const bucket = `test:window:${Date.now()}`;
  // Ten-second windows, long enough to spend one even on a slow machine.
  let refused: { retryAfterSeconds: number } | undefined;
  for (let round = 0; round < 10 && !refused; round++) {
    const decisions = await Promise.all(Array.from({ length: 50 }, () => limiter.hit(bucket, 40, 10)));
    refused = decisions.find((d) => !d.allowed);
  }
  t.ok(refused, 'the limit is reached');
  t.ok((refused?.retryAfterSeconds ?? 0) >= 1 && (refused?.retryAfterSeconds ?? 11) <= 10, 'Retry-After is within the window');
  await new Promise((resolve) => setTimeout(resolve, (refused?.retryAfterSeconds ?? 10) * 1000 + 100));
  t.equal((await limiter.hit(bucket, 40, 10)).allowed, true, 'the next window admits again');
});
