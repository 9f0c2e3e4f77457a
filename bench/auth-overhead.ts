/**
 * `npm run bench:auth`: throughput of an authenticated, RBAC-checked read against the same handler
 * served as a public route, interleaved in the same run. Goal: auth + RBAC cost at most 15 % of
 * throughput with a JWT. API-key calls are shown too: they also pay the per-key rate-limit write.
 */
import { definePlugin } from '../core/plugin-api/index.ts';
import { type LoadResult, loadWithCpu, median, ownCpuMicros, printRows, reportFigures, startBenchKernel, jsonPoster } from './bench-kit.ts';

const publicGet = (operationId: string, extra: Record<string, unknown>) => ({
  get: {
    operationId,
    ...extra,
    responses: {
      '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } },
      '401': { description: 'no credentials' },
      '403': { description: 'no permission' },
    },
  },
});
const reads = definePlugin({
  id: 'reads',
  version: '1.0.0',
  host: '*',
  openapi: {
    paths: {
      '/api/v1/reads/public': publicGet('readPublic', { 'x-public': true, security: [] }),
      '/api/v1/reads/private': publicGet('readPrivate', { 'x-permission': 'reads:read' }),
    },
  },
  permissions: [{ name: 'reads:read', description: 'Read the benchmark resource' }],
  policies: [{ role: 'viewer', permission: 'reads:read' }],
  init(ctx) {
    const answer = () => ({ items: [{ id: 1, name: 'one' }], total: 1 });
    ctx.handle('readPublic', answer);
    ctx.handle('readPrivate', answer);
  },
});

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const kernel = await startBenchKernel([reads], { ITOPS_ADMIN_EMAIL: 'bench@itops.test', ITOPS_ADMIN_PASSWORD: 'bench admin password' });
const post = jsonPoster(kernel.url);
const rows: { name: string; result: LoadResult; cpuUsPerRequest?: number }[] = [];
const cpuRatios: number[] = [];
const jwtRatios: number[] = [];
const keyRatios: number[] = [];
try {
  const admin = await post('/api/v1/auth/login', { email: 'bench@itops.test', password: 'bench admin password' });
  await post('/api/v1/tenants', { tenant_id: 'bench', name: 'Bench' }, { authorization: `Bearer ${admin.token}` });
  await post(
    '/api/v1/users',
    { email: 'viewer@bench.test', password: 'viewer password 1', memberships: [{ tenantId: 'bench', role: 'viewer' }] },
    { authorization: `Bearer ${admin.token}` },
  );
  await post(
    '/api/v1/users',
    { email: 'owner@bench.test', password: 'owner password 12', memberships: [{ tenantId: 'bench', role: 'msp_admin' }] },
    { authorization: `Bearer ${admin.token}` },
  );
  const viewer = await post('/api/v1/auth/login', { email: 'viewer@bench.test', password: 'viewer password 1' });
  const owner = await post('/api/v1/auth/login', { email: 'owner@bench.test', password: 'owner password 12' });
  const key = await post('/api/v1/apikeys', { name: 'bench', scope: 'read', rate_limit_rps: 100000 }, { authorization: `Bearer ${owner.token}` });

  for (let round = 1; round <= rounds; round++) {
    // The kernel runs in this process and the load in a child, so this process's CPU is the server's.
    const open = await loadWithCpu(`${kernel.url}/api/v1/reads/public`, ownCpuMicros, { seconds });
    const jwt = await loadWithCpu(`${kernel.url}/api/v1/reads/private`, ownCpuMicros, { seconds, headers: { authorization: `Bearer ${viewer.token}` } });
    const apiKey = await loadWithCpu(`${kernel.url}/api/v1/reads/private`, ownCpuMicros, { seconds, headers: { 'x-api-key': key.api_key } });
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
process.stdout.write(`API key + RBAC / public: ${median(keyRatios).toFixed(2)} (includes the per-key rate-limit window in PostgreSQL)\n`);
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
