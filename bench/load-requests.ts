/**
 * The load generator of `npm run load`, run as its own process so it does not share the server's
 * event loop: `node --import tsx bench/load-requests.ts <spec.json>`. The spec names a base URL and
 * request templates (method, path, headers, body; `{{uuid}}` in a header and `{{seq}}` in a text
 * body are replaced per request, so Idempotency-Keys and alert fingerprints stay unique). It sends
 * them in turn on keep-alive connections for 1 s unmeasured, then `seconds` measured: closed loop
 * with `concurrency` in flight, or, with `rate`, that many requests started per second (open loop,
 * at most `concurrency` in flight; a start that finds them all busy is counted as `late`).
 * Prints one JSON line: requests, errors (status >= 400 or no answer), late, seconds, rps, p50Ms,
 * p99Ms and the count of each status (0: no answer).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface RequestTemplate {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** Text, or binary as base64 (`bodyBase64`). */
  body?: string;
  bodyBase64?: string;
}

export interface LoadSpec {
  base: string;
  requests: RequestTemplate[];
  seconds: number;
  concurrency: number;
  rate?: number;
}

export interface LoadFigures {
  requests: number;
  errors: number;
  late: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
const base = new URL(spec.base);
const client = base.protocol === 'https:' ? https : http;
const agent = new client.Agent({ keepAlive: true, maxSockets: spec.concurrency });
const templates = spec.requests.map((r) => ({ ...r, binary: r.bodyBase64 ? Buffer.from(r.bodyBase64, 'base64') : undefined }));

let seq = 0;
function once(): Promise<number> {
  const template = templates[seq % templates.length]!;
  const n = seq++;
  const headers = Object.fromEntries(Object.entries(template.headers ?? {}).map(([k, v]) => [k, v.replaceAll('{{uuid}}', randomUUID())]));
  const body = template.binary ?? (template.body === undefined ? undefined : Buffer.from(template.body.replaceAll('{{seq}}', String(n))));
  if (body) headers['content-length'] = String(body.length);
  return new Promise((resolve) => {
    const request = client.request(new URL(template.path, base), { method: template.method, agent, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', () => resolve(0));
    request.end(body);
  });
}

async function run(durationMs: number, record: (status: number, ms: number) => void, onLate: () => void): Promise<void> {
  const until = Date.now() + durationMs;
  const timed = async () => {
    const started = process.hrtime.bigint();
    const status = await once();
    record(status, Number(process.hrtime.bigint() - started) / 1e6);
  };
  if (!spec.rate) {
    await Promise.all(
      Array.from({ length: spec.concurrency }, async () => {
        while (Date.now() < until) await timed();
      }),
    );
    return;
  }
  // Open loop: starts on a schedule, not when an answer comes back, so a slow server shows as latency.
  const interval = 1000 / spec.rate;
  const inFlight = new Set<Promise<void>>();
  const begun = performance.now();
  for (let i = 0; Date.now() < until; i++) {
    const wait = begun + i * interval - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    if (inFlight.size >= spec.concurrency) {
      onLate();
      await Promise.race(inFlight);
    }
    const started = timed().finally(() => inFlight.delete(started));
    inFlight.add(started);
  }
  await Promise.all(inFlight);
}

const latencies: number[] = [];
const statuses: Record<string, number> = {};
let errors = 0;
let late = 0;
let measuring = false;
const record = (status: number, ms: number) => {
  if (!measuring) return;
  latencies.push(ms);
  statuses[status] = (statuses[status] ?? 0) + 1;
  if (status === 0 || status >= 400) errors++;
};
await run(1000, record, () => {});
measuring = true;
const started = Date.now();
await run(spec.seconds * 1000, record, () => late++);
const elapsed = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
const figures: LoadFigures = {
  requests: latencies.length,
  errors,
  late,
  seconds: elapsed,
  rps: latencies.length / elapsed,
  p50Ms: pick(0.5),
  p99Ms: pick(0.99),
  statuses,
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
agent.destroy();
