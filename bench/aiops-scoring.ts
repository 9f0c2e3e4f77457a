/**
 * `npm run bench:aiops-scoring`: watchdog scoring throughput, points per second, of the production
 * task (`aiops.score`, plugins/aiops/watchdog/score.worker.ts) on a pool of one worker thread against
 * a pool of BENCH_THREADS (2) threads, in the same run, over BENCH_SERIES (20,000) series of
 * BENCH_POINTS (200) points each, sent in chunks of BENCH_CHUNK (1,000) series, each series from a
 * fresh state. Also prints the same work on the main thread (no pool) for reference.
 * Goals: >= 5,000,000 points/s on the pool and >= 1.8x one worker on 2 cores. Exits 1 when missed.
 */
import { WorkerPool } from '../core/workers/worker-pool.ts';
import { workerModule } from '../core/plugin-api/index.ts';
import { reportFigures } from './bench-kit.ts';
import score, { packChunk, type ScoreInput, type ScoreOutput } from '../plugins/aiops/watchdog/score.worker.ts';

const seriesCount = Number(process.env.BENCH_SERIES ?? 20_000);
const pointsPer = Number(process.env.BENCH_POINTS ?? 200);
const chunkSize = Number(process.env.BENCH_CHUNK ?? 1000);
const threads = Number(process.env.BENCH_THREADS ?? 2);

function chunks(): ScoreInput[] {
  const out: ScoreInput[] = [];
  const start = Date.UTC(2026, 0, 1);
  for (let c = 0; c < seriesCount; c += chunkSize) {
    const series = [];
    for (let s = c; s < Math.min(seriesCount, c + chunkSize); s++) {
      const ts = new Float64Array(pointsPer);
      const values = new Float64Array(pointsPer);
      for (let i = 0; i < pointsPer; i++) {
        ts[i] = start + i * 60_000;
        values[i] = 50 + 10 * Math.sin((i + s) / 20) + ((i * 7919 + s * 104729) % 13) + (i === 150 ? 60 : 0);
      }
      series.push({ state: null, ts, values });
    }
    out.push(packChunk(series, 0.8));
  }
  return out;
}

async function onPool(size: number, work: ScoreInput[]): Promise<number> {
  const pool = new WorkerPool(size);
  pool.declare('aiops', { name: 'score', module: workerModule(import.meta.url, '../plugins/aiops/watchdog/score.worker') });
  try {
    // Warm both threads up (module load, JIT) before timing.
    await Promise.all(Array.from({ length: size * 2 }, () => pool.run<ScoreInput, ScoreOutput>('aiops.score', work[0])));
    const started = process.hrtime.bigint();
    const results = await Promise.all(work.map((w) => pool.run<ScoreInput, ScoreOutput>('aiops.score', w)));
    const secondsTaken = Number(process.hrtime.bigint() - started) / 1e9;
    return results.reduce((n, r) => n + r.points, 0) / secondsTaken;
  } finally {
    await pool.close();
  }
}

const work = chunks();
const total = seriesCount * pointsPer;
const mainStarted = process.hrtime.bigint();
for (const w of work) score({ ...w, states: w.states.slice() });
const mainRate = total / (Number(process.hrtime.bigint() - mainStarted) / 1e9);
const one = await onPool(1, work);
const many = await onPool(threads, work);
const fmt = (n: number) => Math.round(n).toLocaleString('en');
console.log(`aiops scoring: ${fmt(total)} points (${fmt(seriesCount)} series x ${pointsPer}), chunks of ${chunkSize} series`);
console.log(`  main thread (reference)   ${fmt(mainRate)} points/s`);
console.log(`  pool of 1 worker          ${fmt(one)} points/s`);
console.log(`  pool of ${threads} workers         ${fmt(many)} points/s`);
console.log(`  speed-up ${threads} vs 1            ${(many / one).toFixed(2)}x  (goal >= 1.8x and >= 5,000,000 points/s)`);
reportFigures('aiops-scoring', [
  {
    figure: `watchdog points/s on a pool of ${threads}`,
    value: many,
    baseline: 'pool of 1 worker',
    ratio: many / one,
    goal: '>= 5000000 points/s and >= 1.8x',
    pass: many >= 5_000_000 && many / one >= 1.8,
  },
]);
if (many < 5_000_000 || many / one < 1.8) process.exitCode = 1;
