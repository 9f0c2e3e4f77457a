import t from 'tap';
import { workerModule } from '../plugin-api/index.ts';
import score, { packChunk, type ScoreInput, type ScoreOutput } from '../../plugins/aiops/watchdog/score.worker.ts';
import { WorkerPool } from './worker-pool.ts';

function chunk(): ScoreInput {
  const series = Array.from({ length: 3 }, (_, s) => {
    const ts = Float64Array.from({ length: 400 }, (_, i) => Date.UTC(2026, 0, 1) + i * 60_000);
    const values = Float64Array.from({ length: 400 }, (_, i) => 10 + ((i * 7 + s) % 5) + (i === 350 ? 200 : 0));
    return { state: null, ts, values };
  });
  return packChunk(series, 0.5);
}

t.test('a run with transfer moves the input to the thread and the output back, with the same result as a copy', async (t) => {
  const pool = new WorkerPool(1, 0);
  t.teardown(() => pool.close());
  pool.declare('aiops', { name: 'score', module: workerModule(import.meta.url, '../../plugins/aiops/watchdog/score.worker') });
  const expected = score(chunk());

  const copied = chunk();
  const byCopy = await pool.run<ScoreInput, ScoreOutput>('aiops.score', copied);
  t.equal(copied.values.length, 1200, 'without transfer the caller keeps its arrays');

  const moved = chunk();
  const byMove = await pool.run<ScoreInput, ScoreOutput>('aiops.score', moved, { transfer: true });
  t.equal(moved.values.length, 0, 'with transfer the input arrays are detached: the thread has them now');
  t.equal(moved.states.length, 0);

  for (const result of [byCopy, byMove]) {
    t.equal(result.points, 1200);
    t.same(Array.from(result.states), Array.from(expected.states), 'the states the thread computed come back');
    t.same(result.hits, expected.hits, 'and the points over the threshold');
  }
  t.ok(byMove.states instanceof Float64Array, 'the moved output is still a typed array');
  t.ok(expected.hits.length > 0, 'the spike is found');
});
