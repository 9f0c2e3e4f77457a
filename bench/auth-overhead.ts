/**
 * `npm run bench:auth`: throughput of an authenticated, RBAC-checked read against the same handler
 * served as a public route, interleaved in the same run. Goal: auth + RBAC cost at most 15 % of
 * throughput with a JWT; an API key with its per-key rate limit keeps at least 70 %.
 */
import { startAuthWorld } from './auth-world.ts';
import { type LoadResult, loadWithCpu, median, ownCpuMicros, printRows, reportFigures } from './bench-kit.ts';

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const world = await startAuthWorld();
const { kernel } = world;
const rows: { name: string; result: LoadResult; cpuUsPerRequest?: number }[] = [];
const cpuRatios: number[] = [];
const jwtRatios: number[] = [];
const keyRatios: number[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    // The kernel runs in this process and the load in a child, so this process's CPU is the server's.
    const open = await loadWithCpu(`${kernel.url}/api/v1/reads/public`, ownCpuMicros, { seconds });
    const jwt = await loadWithCpu(`${kernel.url}/api/v1/reads/private`, ownCpuMicros, { seconds, headers: { authorization: `Bearer ${world.viewerToken}` } });
    const apiKey = await loadWithCpu(`${kernel.url}/api/v1/reads/private`, ownCpuMicros, { seconds, headers: { 'x-api-key': world.apiKey } });
    rows.push(
      { name: `round ${round}: public`, ...open },
      { name: `round ${round}: JWT + RBAC`, ...jwt },
      { name: `round ${round}: API key + RBAC`, ...apiKey },
    );
    jwtRatios.push(jwt.result.rps / open.result.rps);
    keyRatios.push(apiKey.result.rps / open.result.rps);
    cpuRatios.push(open.cpuUsPerRequest / jwt.cpuUsPerRequest);
  }
} finally {
  await kernel.stop();
}
printRows(rows);
const jwt = median(jwtRatios);
process.stdout.write(
  `\nJWT + RBAC / public: ${jwt.toFixed(2)} -> auth + RBAC cost ${((1 - jwt) * 100).toFixed(0)} % of throughput (median of ${rounds}; goal <= 15 %)\n`,
);
process.stdout.write(
  `server CPU per request, public / JWT + RBAC: ${median(cpuRatios).toFixed(2)} (the throughput ratio if both were CPU-bound; less sensitive to neighbours)\n`,
);
process.stdout.write(`API key + RBAC / public: ${median(keyRatios).toFixed(2)} (includes the per-key rate limit shared through PostgreSQL; goal >= 0.70)\n`);
reportFigures('auth', [
  { figure: 'JWT + RBAC / public', value: jwt, baseline: 'public route', ratio: jwt, goal: '>= 0.85', pass: jwt >= 0.85 },
  {
    figure: 'API key + RBAC / public',
    value: median(keyRatios),
    baseline: 'public route',
    ratio: median(keyRatios),
    goal: '>= 0.7',
    pass: median(keyRatios) >= 0.7,
  },
]);
