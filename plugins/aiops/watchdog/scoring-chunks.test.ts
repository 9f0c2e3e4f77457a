import t from 'tap';
import { scoringChunks } from './score.worker.ts';

const series = (count: number, points: number) => Array.from({ length: count }, (_, i) => ({ id: i, values: new Array(points).fill(0) }));

t.test('a round is cut into about 32 chunks of whole series, in order', async (t) => {
  const round = series(20_000, 200);
  const chunks = scoringChunks(round);
  t.equal(chunks.length, 32);
  t.same(
    chunks.flat().map((s) => s.id),
    round.map((s) => s.id),
    'every series once, in order',
  );
  const sizes = chunks.map((chunk) => chunk.reduce((n, s) => n + s.values.length, 0));
  t.ok(Math.max(...sizes) <= Math.min(...sizes) * 1.01, 'of even size');
});

t.test('a small round stays a few chunks of at least 5,000 points', async (t) => {
  t.same(scoringChunks(series(10, 100)).length, 1, '1,000 points: one task');
  const chunks = scoringChunks(series(100, 120));
  t.equal(chunks.length, 3, '12,000 points: chunks of 5,000 or more');
  t.ok(chunks.slice(0, -1).every((chunk) => chunk.length * 120 >= 5000));
  t.same(scoringChunks([]), []);
});
