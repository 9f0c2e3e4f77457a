/**
 * Load generator, run as its own process so it does not share the server's event loop:
 *   node --import tsx bench/load.ts <url> <seconds> <concurrency> [headers-json]
 * Keeps `concurrency` keep-alive requests in flight for `seconds` (after a 1 s warm-up) and prints
 * {requests, warmupRequests, errors, seconds, rps, p50Ms, p99Ms} as JSON. Talks only to the URL it is given.
 */
import http from 'node:http';

const [url, secondsArg = '5', concurrencyArg = '32', headersArg = '{}'] = process.argv.slice(2);
const target = new URL(url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) throw new Error('the load generator only targets this machine');
const seconds = Number(secondsArg);
const concurrency = Number(concurrencyArg);
const headers = JSON.parse(headersArg) as Record<string, string>;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function once(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const request = http.request(target, { agent, headers }, (response) => {
      response.resume();
      response.on('end', () =>
        response.statusCode && response.statusCode < 400
          ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
          : reject(new Error(`status ${response.statusCode}`)),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

async function run(durationMs: number, record: boolean) {
  const latencies: number[] = [];
  let errors = 0;
  let completed = 0;
  const until = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        try {
          const ms = await once();
          completed += 1;
          if (record) latencies.push(ms);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { latencies, errors, completed };
}

const warmup = await run(1000, false);
const started = Date.now();
const { latencies, errors } = await run(seconds * 1000, true);
const elapsed = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
process.stdout.write(
  `${JSON.stringify({ requests: latencies.length, warmupRequests: warmup.completed + warmup.errors, errors, seconds: elapsed, rps: latencies.length / elapsed, p50Ms: pick(0.5), p99Ms: pick(0.99) })}\n`,
);
agent.destroy();
