/**
 * `npm run bench:http`: requests/s of a public contract route through the full stack (correlation
 * id, metrics, body parser, routing, auth hook, validation of path and query, handler) against a
 * bare Koa route, measured in the same run and interleaved, because this machine is shared and
 * noisy. Goal: the full stack keeps at least 60 % of the bare route's throughput.
 */
import examplePlugin from '../core/testing/example-plugin/plugin.ts';
import { load, median, printRows, startBareKoa, startBenchKernel, type LoadResult } from './bench-kit.ts';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const bare = await startBareKoa();
const kernel = await startBenchKernel([examplePlugin]);
const rows: { name: string; result: LoadResult }[] = [];
const ratios: number[] = [];
const healthRatios: number[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    const baseline = await load(`${bare.url}/`, { seconds });
    const full = await load(`${kernel.url}/api/v1/example/hello/Ada?times=2`, { seconds });
    const health = await load(`${kernel.url}/health`, { seconds });
    rows.push(
      { name: `round ${round}: bare Koa`, result: baseline },
      { name: `round ${round}: GET /api/v1/example/hello`, result: full },
      { name: `round ${round}: GET /health`, result: health },
    );
    ratios.push(full.rps / baseline.rps);
    healthRatios.push(health.rps / baseline.rps);
  }
} finally {
  await kernel.stop();
  await bare.close();
}
printRows(rows);
const ratio = median(ratios);
process.stdout.write(`\nfull stack (validated path + query) / bare Koa: ${ratio.toFixed(2)} (median of ${rounds}; goal >= 0.60)\n`);
process.stdout.write(`full stack (GET /health) / bare Koa: ${median(healthRatios).toFixed(2)}\n`);
