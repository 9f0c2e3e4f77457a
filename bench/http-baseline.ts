/**
 * `npm run bench:http`: requests/s of a public contract route through the full stack (correlation
 * id, metrics, body parser, routing, auth hook, validation of path and query, handler) against a
 * bare Koa route, measured in the same run and interleaved (bare, full, /health; 3 rounds), because
 * this machine is shared and noisy. The load generator (bench/load.ts) runs in its own process.
 * Goal: the full stack keeps at least 60 % of the bare route's throughput (median of the rounds).
 * Each run also reports the server process's CPU time per request (the kernel's own process, the
 * bare server's child process), a second view that depends less on what else the machine runs.
 *   BENCH_ROUNDS (3), BENCH_SECONDS (5, after a 1 s warm-up), BENCH_CONCURRENCY (32)
 * Exits 1 when a request failed or the median ratio is below the goal.
 */
import examplePlugin from '../core/testing/example-plugin/plugin.ts';
import { expectOk, type LoadResult, loadWithCpu, median, ownCpuMicros, printRows, reportFigures, startBareKoa, startBenchKernel } from './bench-kit.ts';

const goal = 0.6;
const rounds = Math.min(Math.max(Number(process.env.BENCH_ROUNDS ?? 3), 1), 20);
const seconds = Math.min(Math.max(Number(process.env.BENCH_SECONDS ?? 5), 1), 60);
const concurrency = Math.min(Math.max(Number(process.env.BENCH_CONCURRENCY ?? 32), 1), 256);

const bare = await startBareKoa();
const kernel = await startBenchKernel([examplePlugin], {}, { firstParty: true });
const targets = { bare: `${bare.url}/`, full: `${kernel.url}/api/v1/example/hello/Ada?times=2`, health: `${kernel.url}/health` };
const rows: { name: string; result: LoadResult; cpuUsPerRequest: number }[] = [];
const ratios: number[] = [];
const healthRatios: number[] = [];
const cpuRatios: number[] = [];
let errors = 0;
try {
  for (const url of Object.values(targets)) await expectOk(url);
  for (let round = 1; round <= rounds; round++) {
    const baseline = await loadWithCpu(targets.bare, bare.cpuMicros, { seconds, concurrency });
    const full = await loadWithCpu(targets.full, ownCpuMicros, { seconds, concurrency });
    const health = await loadWithCpu(targets.health, ownCpuMicros, { seconds, concurrency });
    rows.push(
      { name: `round ${round}: bare Koa`, ...baseline },
      { name: `round ${round}: GET /api/v1/example/hello`, ...full },
      { name: `round ${round}: GET /health`, ...health },
    );
    ratios.push(full.result.rps / baseline.result.rps);
    healthRatios.push(health.result.rps / baseline.result.rps);
    cpuRatios.push(baseline.cpuUsPerRequest / full.cpuUsPerRequest);
    errors += baseline.result.errors + full.result.errors + health.result.errors;
  }
} finally {
  await kernel.stop();
  await bare.close();
}
process.stdout.write(`concurrency ${concurrency}, ${seconds} s per run after a 1 s warm-up, ${rounds} interleaved rounds\n\n`);
printRows(rows);
const ratio = median(ratios);
process.stdout.write(`\nper-round ratios (validated route): ${ratios.map((r) => r.toFixed(2)).join(', ')}\n`);
process.stdout.write(`full stack (GET /health) / bare Koa: ${median(healthRatios).toFixed(2)} (median)\n`);
process.stdout.write(
  `server CPU per request, bare Koa / full stack: ${median(cpuRatios).toFixed(2)} (median; the throughput ratio if both were CPU-bound, less sensitive to neighbours)\n`,
);
process.stdout.write(`full stack / bare Koa: ${ratio.toFixed(2)} (GET /api/v1/example/hello/Ada?times=2, median; goal >= ${goal.toFixed(2)})\n`);
reportFigures('http', [
  { figure: 'validated route / bare Koa (throughput)', value: ratio, baseline: 'bare Koa', ratio, goal: `>= ${goal}`, pass: ratio >= goal && errors === 0 },
  {
    figure: 'server CPU per request, bare / full',
    value: median(cpuRatios),
    baseline: 'bare Koa',
    ratio: median(cpuRatios),
    goal: '>= 0.6',
    pass: median(cpuRatios) >= 0.6,
  },
]);
if (errors > 0) {
  process.stderr.write(`${errors} requests failed: the figures above are not comparable\n`);
  process.exitCode = 1;
} else if (ratio < goal) {
  process.exitCode = 1;
}
