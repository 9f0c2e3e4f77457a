/**
 * `npm run bench:profile -- <target>`: a CPU profile of the server (the kernel runs in this process)
 * while bench/load.ts drives one route, and its top self-time frames with their share of the busy
 * samples. Targets: `http` (bench:http's validated public route, example plugin and first-party
 * plugins loaded), `public`, `jwt`, `apikey` (bench:auth's routes). The profile covers the load
 * only, not the boot, and is written to `BENCH_PROFILE_DIR` (default: the system's temp folder),
 * for chrome://inspect or speedscope.
 *   BENCH_SECONDS (5, after the load's 1 s warm-up), BENCH_CONCURRENCY (32), BENCH_TOP (15)
 */
import examplePlugin from '../core/testing/example-plugin/plugin.ts';
import { startAuthWorld } from './auth-world.ts';
import { expectOk, load, startBenchKernel } from './bench-kit.ts';
import { profiled } from './cpu-profile.ts';

const target = process.argv[2] ?? 'http';
const seconds = Math.min(Math.max(Number(process.env.BENCH_SECONDS ?? 5), 1), 60);
const concurrency = Math.min(Math.max(Number(process.env.BENCH_CONCURRENCY ?? 32), 1), 256);

async function world(): Promise<{ url: string; headers: Record<string, string>; stop: () => Promise<void> }> {
  if (target === 'http') {
    const kernel = await startBenchKernel([examplePlugin], {}, { firstParty: true });
    return { url: `${kernel.url}/api/v1/example/hello/Ada?times=2`, headers: {}, stop: () => kernel.stop() };
  }
  const { kernel, viewerToken, apiKey } = await startAuthWorld();
  const routes: Record<string, { path: string; headers: Record<string, string> }> = {
    public: { path: '/api/v1/reads/public', headers: {} },
    jwt: { path: '/api/v1/reads/private', headers: { authorization: `Bearer ${viewerToken}` } },
    apikey: { path: '/api/v1/reads/private', headers: { 'x-api-key': apiKey } },
  };
  const route = routes[target];
  if (!route) {
    await kernel.stop();
    throw new Error(`unknown target ${target}: http, public, jwt or apikey`);
  }
  return { url: `${kernel.url}${route.path}`, headers: route.headers, stop: () => kernel.stop() };
}

const served = await world();
try {
  await expectOk(served.url, served.headers);
  const { result, report } = await profiled(
    target,
    () => load(served.url, { seconds, concurrency, headers: served.headers }),
    // The profile spans the load's warm-up too.
    (r) => r.requests + r.warmupRequests,
  );
  process.stdout.write(`${target}: ${result.rps.toFixed(0)} req/s under the profiler (${result.errors} errors)\n${report}`);
} finally {
  await served.stop();
}
