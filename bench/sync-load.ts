/**
 * Load generator of bench/operator-sync.ts, in its own process:
 *   node --import tsx bench/sync-load.ts <url> <mode> <seconds> <concurrency|rate> <nodes> <services> <changeRate> [headers-json]
 * Posts operator status syncs (`services` services per node, nodes taken round-robin) to `url`.
 * mode `max`: `concurrency` requests always in flight (throughput); `each`: the same, once per node;
 * mode `rate`: `rate` syncs per
 * second on a fixed schedule whatever the answers do (open loop: latency at a given load, as 10,000
 * agents syncing every 30 s would produce). `changeRate` of the syncs flips one service's status.
 * Prints {requests, errors, seconds, rps, p50Ms, p99Ms} as JSON.
 */
import http from 'node:http';

const [url, mode, secondsArg, levelArg, nodesArg, servicesArg, changeArg, headersArg = '{}'] = process.argv.slice(2);
const target = new URL(url);
if (!['127.0.0.1', 'localhost'].includes(target.hostname)) throw new Error('the load generator only targets this machine');
const seconds = Number(secondsArg);
const level = Number(levelArg);
const nodes = Number(nodesArg);
const services = Number(servicesArg);
const changeRate = Number(changeArg);
const headers = { 'content-type': 'application/json', ...(JSON.parse(headersArg) as Record<string, string>) };
const agent = new http.Agent({ keepAlive: true, maxSockets: mode === 'max' ? level : 256 });

let next = 0;
const flipped = new Set<number>();
function body(): string {
  const node = next++ % nodes;
  // A few nodes at a time have one service DOWN; a change flips that state.
  if (Math.random() < changeRate) {
    if (flipped.has(node)) flipped.delete(node);
    else flipped.add(node);
  }
  return JSON.stringify({
    nodeId: `bench/org${node % 10}/prod/node${node}`,
    operatorVersion: '1.0.0',
    services: Array.from({ length: services }, (_, i) => ({
      name: `svc-${i}`,
      status: i === 0 && flipped.has(node) ? 'DOWN' : 'OPERATIONAL',
      replicas: 3,
      readyReplicas: i === 0 && flipped.has(node) ? 0 : 3,
      slaGroup: `group-${i % 5}`,
      workloadType: 'Deployment',
    })),
  });
}

function once(payload: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const request = http.request(target, { agent, method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(payload) } }, (response) => {
      response.resume();
      response.on('end', () =>
        response.statusCode && response.statusCode < 400
          ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
          : reject(new Error(`status ${response.statusCode}`)),
      );
    });
    request.on('error', reject);
    request.end(payload);
  });
}

const latencies: number[] = [];
let errors = 0;
const started = Date.now();
const until = started + seconds * 1000;
const record = async (p: Promise<number>) => {
  try {
    latencies.push(await p);
  } catch {
    errors += 1;
  }
};
if (mode === 'max' || mode === 'each') {
  // `each`: every node exactly once (the first syncs that create the catalog), `level` in flight.
  const done = () => (mode === 'each' ? next >= nodes : Date.now() >= until);
  await Promise.all(
    Array.from({ length: level }, async () => {
      while (!done()) await record(once(body()));
    }),
  );
} else {
  const inFlight: Promise<void>[] = [];
  const interval = 1000 / level;
  for (let i = 0; started + i * interval < until; i++) {
    const wait = started + i * interval - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(record(once(body())));
  }
  await Promise.all(inFlight);
}
const elapsed = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({ requests: latencies.length, errors, seconds: elapsed, rps: latencies.length / elapsed, p50Ms: pick(0.5), p99Ms: pick(0.99) })}\n`,
);
agent.destroy();
