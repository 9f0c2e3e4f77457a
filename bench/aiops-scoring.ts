/**
 * `npm run bench:aiops-scoring`: watchdog scoring throughput, points per second, of the production
 * task (`aiops.score`, plugins/aiops/watchdog/score.worker.ts) on a pool of one worker thread against
 * a pool of BENCH_THREADS (2) threads, in the same run, over BENCH_SERIES (20,000) series of
 * BENCH_POINTS (200) points each, cut into chunks as the watchdog cuts a round (scoringChunks),
 * each series from a fresh state; the pools take turns for BENCH_ROUNDS (11) passes, and the speed-up is the median of
 * each round's ratio (a neighbour's burst slows both passes of a round alike, not every round).
 * Also prints the same work on the main thread (no pool) for reference. Run with --expose-gc (as
 * `npm run bench` and `npm run bench:aiops-scoring` do), so each pass starts after a collection.
 * Goals: >= 5,000,000 points/s on the pool and >= 1.8x one worker on 2 cores. Exits 1 when missed.
 */
import { WorkerPool } from '../core/workers/worker-pool.ts';
import { workerModule } from '../core/plugin-api/index.ts';
import { reportFigures } from './bench-kit.ts';
import score, { packChunk, type ScoreInput, type ScoreOutput, scoringChunks } from '../plugins/aiops/watchdog/score.worker.ts';

const seriesCount = Number(process.env.BENCH_SERIES ?? 20_000);
const pointsPer = Number(process.env.BENCH_POINTS ?? 200);
const threads = Number(process.env.BENCH_THREADS ?? 2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 11);

function chunks(): ScoreInput[] {
  const start = Date.UTC(2026, 0, 1);
  const series = [];
  for (let s = 0; s < seriesCount; s++) {
    const ts = new Float64Array(pointsPer);
    const values = new Float64Array(pointsPer);
    for (let i = 0; i < pointsPer; i++) {
      ts[i] = start + i * 60_000;
      values[i] = 50 + 10 * Math.sin((i + s) / 20) + ((i * 7919 + s * 104729) % 13) + (i === 150 ? 60 : 0);
    }
    series.push({ state: null, ts, values });
  }
  return scoringChunks(series).map((chunk) => packChunk(chunk, 0.8));
}

/** A pool of `size` threads with the task declared and every thread warmed up (module load, JIT). */
async function warmPool(size: number, work: ScoreInput[]): Promise<WorkerPool> {
  const pool = new WorkerPool(size, size);
  pool.declare('aiops', { name: 'score', module: workerModule(import.meta.url, '../plugins/aiops/watchdog/score.worker') });
  await Promise.all(Array.from({ length: size * 2 }, () => pool.run<ScoreInput, ScoreOutput>('aiops.score', copyOf(work[0]), { transfer: true })));
  return pool;
}

/** A chunk's own copy: a pass moves its arrays to the threads, as the watchdog does with a fresh chunk. */
const copyOf = (w: ScoreInput): ScoreInput => ({
  threshold: w.threshold,
  offsets: w.offsets.slice(),
  ts: w.ts.slice(),
  values: w.values.slice(),
  states: w.states.slice(),
  fresh: w.fresh.slice(),
});

/** Points/s of one pass over all the work on `pool`. */
async function pass(pool: WorkerPool, work: ScoreInput[]): Promise<number> {
  const copies = work.map(copyOf);
  // The last pass's and these copies' garbage is collected now, not by V8's helper threads during
  // the pass, where they would take a core from a pool of two and not from a pool of one.
  (globalThis as { gc?: () => void }).gc?.();
  const started = process.hrtime.bigint();
  const results = await Promise.all(copies.map((w) => pool.run<ScoreInput, ScoreOutput>('aiops.score', w, { transfer: true })));
  const secondsTaken = Number(process.hrtime.bigint() - started) / 1e9;
  return results.reduce((n, r) => n + r.points, 0) / secondsTaken;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const work = chunks();
const total = seriesCount * pointsPer;
const mainStarted = process.hrtime.bigint();
for (const w of work) score({ ...w, states: w.states.slice() });
const mainRate = total / (Number(process.hrtime.bigint() - mainStarted) / 1e9);
// One pass takes well under a second, so a neighbour's burst can swing it: the two pools take
// turns for BENCH_ROUNDS passes each, and each round's two passes are compared with each other.
const onePool = await warmPool(1, work);
const manyPool = await warmPool(threads, work);
const oneRates: number[] = [];
const manyRates: number[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    oneRates.push(await pass(onePool, work));
    manyRates.push(await pass(manyPool, work));
  }
} finally {
  await onePool.close();
  await manyPool.close();
}
console.log(
  `  passes, M points/s: pool of 1: ${oneRates.map((r) => (r / 1e6).toFixed(1)).join(', ')}; pool of ${threads}: ${manyRates.map((r) => (r / 1e6).toFixed(1)).join(', ')}`,
);
const one = median(oneRates);
const many = median(manyRates);
const speedUp = median(manyRates.map((rate, round) => rate / oneRates[round]));
const fmt = (n: number) => Math.round(n).toLocaleString('en');
console.log(
  `aiops scoring: ${fmt(total)} points (${fmt(seriesCount)} series x ${pointsPer}), ${work.length} chunks, medians of ${rounds} alternating passes per pool`,
);
console.log(`  main thread (reference)   ${fmt(mainRate)} points/s`);
console.log(`  pool of 1 worker          ${fmt(one)} points/s`);
console.log(`  pool of ${threads} workers         ${fmt(many)} points/s`);
console.log(`  speed-up ${threads} vs 1            ${speedUp.toFixed(2)}x  (median of the rounds' ratios; goal >= 1.8x and >= 5,000,000 points/s)`);
reportFigures('aiops-scoring', [
  {
    figure: `watchdog points/s on a pool of ${threads}`,
    value: many,
    baseline: 'pool of 1 worker',
    ratio: speedUp,
    goal: '>= 5000000 points/s and >= 1.8x',
    pass: many >= 5_000_000 && speedUp >= 1.8,
  },
]);
if (many < 5_000_000 || speedUp < 1.8) process.exitCode = 1;
