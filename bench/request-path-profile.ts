/**
 * `npm run bench:profile -- <target>`: a CPU profile of the server (the kernel runs in this process)
 * while bench/load.ts drives one route, and its top self-time frames with their share of the busy
 * samples. Targets: `http` (bench:http's validated public route, example plugin and first-party
 * plugins loaded), `public`, `jwt`, `apikey` (bench:auth's routes). The profile covers the load
 * only, not the boot, and is written to `BENCH_PROFILE_DIR` (default: the system's temp folder),
 * for chrome://inspect or speedscope.
 *   BENCH_SECONDS (5, after the load's 1 s warm-up), BENCH_CONCURRENCY (32), BENCH_TOP (15)
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import examplePlugin from '../core/testing/example-plugin/plugin.ts';
import { startAuthWorld } from './auth-world.ts';
import { expectOk, load, startBenchKernel } from './bench-kit.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const target = process.argv[2] ?? 'http';
const seconds = Math.min(Math.max(Number(process.env.BENCH_SECONDS ?? 5), 1), 60);
const concurrency = Math.min(Math.max(Number(process.env.BENCH_CONCURRENCY ?? 32), 1), 256);
const samplingMicros = 100;
const top = Math.min(Math.max(Number(process.env.BENCH_TOP ?? 15), 1), 100);

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

/** Where a frame lives, short: a package name and file, or a path relative to the checkout. */
function place(url: string, line: number): string {
  if (!url) return '';
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  const file = inPackage ? `${inPackage[1]}/${path.basename(inPackage[2])}` : url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
  return `${file}:${line + 1}`;
}

const served = await world();
try {
  await expectOk(served.url, served.headers);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: samplingMicros });
  await session.post('Profiler.start');
  const result = await load(served.url, { seconds, concurrency, headers: served.headers });
  const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[] } };
  session.disconnect();
  const file = path.join(process.env.BENCH_PROFILE_DIR ?? os.tmpdir(), `itops-${target}-${Date.now()}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));

  const self = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
    busy += hits;
    const name = `${node.callFrame.functionName || '(anonymous)'} ${place(node.callFrame.url, node.callFrame.lineNumber)}`.trim();
    self.set(name, (self.get(name) ?? 0) + hits);
  }
  // The profile spans the warm-up too; µs per request is the robust figure on a busy machine (the
  // share also moves with the node's background work: jobs, periodic tasks).
  const requests = result.requests + result.warmupRequests;
  const usPerRequest = (hits: number) => (hits * samplingMicros) / Math.max(1, requests);
  process.stdout.write(
    `${target}: ${result.rps.toFixed(0)} req/s under the profiler (${result.errors} errors), ${busy} busy samples, ${usPerRequest(busy).toFixed(0)} µs of CPU per request; profile: ${file}\n`,
  );
  process.stdout.write(`top ${top} self-time frames (share of busy samples, µs per request):\n`);
  for (const [name, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((hits / busy) * 100).toFixed(1).padStart(6)} %${usPerRequest(hits).toFixed(1).padStart(8)} µs  ${name}\n`);
  }
} finally {
  await served.stop();
}
