/**
 * A CPU profile of this process (where a bench runs its kernel) while `fn` runs, and its top
 * self-time frames with their share of the busy samples and their µs per request. The profile is
 * written to `BENCH_PROFILE_DIR` (default: the system's temp folder) for chrome://inspect or speedscope.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const samplingMicros = 100;

export async function profiled<T>(
  name: string,
  fn: () => Promise<T>,
  requestsOf: (result: T) => number,
  top = Math.min(Math.max(Number(process.env.BENCH_TOP ?? 15), 1), 100),
): Promise<{ result: T; report: string }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: samplingMicros });
  await session.post('Profiler.start');
  let result: T;
  let profile: { nodes: ProfileNode[] };
  try {
    result = await fn();
  } finally {
    profile = ((await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[] } }).profile;
    session.disconnect();
  }
  const file = path.join(process.env.BENCH_PROFILE_DIR ?? os.tmpdir(), `itops-${name}-${Date.now()}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));

  const self = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
    busy += hits;
    const frame = `${node.callFrame.functionName || '(anonymous)'} ${place(node.callFrame.url, node.callFrame.lineNumber)}`.trim();
    self.set(frame, (self.get(frame) ?? 0) + hits);
  }
  // µs per request is the robust figure on a busy machine (the share also moves with the node's
  // background work: jobs, periodic tasks).
  const usPerRequest = (hits: number) => (hits * samplingMicros) / Math.max(1, requestsOf(result));
  const lines = [
    `${name}: ${busy} busy samples, ${usPerRequest(busy).toFixed(0)} µs of CPU per request; profile: ${file}`,
    `top ${top} self-time frames (share of busy samples, µs per request):`,
    ...[...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([frame, hits]) => `${((hits / busy) * 100).toFixed(1).padStart(6)} %${usPerRequest(hits).toFixed(1).padStart(8)} µs  ${frame}`),
  ];
  return { result, report: `${lines.join('\n')}\n` };
}

/** Where a frame lives, short: a package name and file, or a path relative to the checkout. */
function place(url: string, line: number): string {
  if (!url) return '';
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  const file = inPackage ? `${inPackage[1]}/${path.basename(inPackage[2])}` : url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
  return `${file}:${line + 1}`;
}
