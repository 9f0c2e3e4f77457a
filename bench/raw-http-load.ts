/**
 * A lean closed-loop HTTP/1.1 load generator for benches that share a small machine with the server
 * they measure: `concurrency` keep-alive connections, each sending one prebuilt GET at a time and
 * reading the answer by its Content-Length (what Koa sends for text and JSON bodies). Node's own
 * HTTP client spends several times more CPU per request, CPU the server under test then lacks.
 */
import net from 'node:net';

export interface RawLoadResult {
  requests: number;
  acknowledged: number;
  errors: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

const headEnd = Buffer.from('\r\n\r\n');

/** One connection's loop: request, read the whole answer, record, repeat until `until`. */
function connection(target: URL, requests: Buffer[], next: () => number, until: () => number, record: (status: number, ms: number) => void): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(target.port), target.hostname);
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    let started = 0n;
    let need = -1;
    let status = 0;
    const send = () => {
      if (Date.now() >= until()) {
        socket.end();
        return;
      }
      started = process.hrtime.bigint();
      socket.write(requests[next() % requests.length]);
    };
    socket.on('connect', send);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        if (need < 0) {
          const end = pending.indexOf(headEnd);
          if (end < 0) return;
          const head = pending.subarray(0, end).toString('latin1');
          status = Number(head.slice(9, 12));
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          need = end + 4 + (length ? Number(length[1]) : 0);
        }
        if (pending.length < need) return;
        pending = pending.subarray(need);
        need = -1;
        record(status, Number(process.hrtime.bigint() - started) / 1e6);
        send();
      }
    });
    socket.on('error', () => {
      record(0, 0);
      resolve();
    });
    socket.on('close', () => resolve());
  });
}

/** Keeps `concurrency` GETs of `paths` (cycled) in flight for 1 s unmeasured, then `seconds` measured. */
export async function rawLoad(base: string, paths: string[], seconds: number, concurrency: number): Promise<RawLoadResult> {
  const target = new URL(base);
  if (!['127.0.0.1', 'localhost'].includes(target.hostname)) throw new Error('the load generator only targets this machine');
  const requests = paths.map((path) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${target.host}\r\nUser-Agent: itops-bench\r\n\r\n`, 'latin1'));
  let cursor = 0;
  const next = () => cursor++;
  let acknowledged = 0;
  let errors = 0;
  let measuring = false;
  const latencies: number[] = [];
  const record = (status: number, ms: number) => {
    if (status === 200) acknowledged += 1;
    else errors += 1;
    if (measuring && status === 200) latencies.push(ms);
  };
  const warmUpUntil = Date.now() + 1000;
  const endAt = warmUpUntil + seconds * 1000;
  setTimeout(() => {
    measuring = true;
  }, warmUpUntil - Date.now());
  await Promise.all(Array.from({ length: concurrency }, () => connection(target, requests, next, () => endAt, record)));
  const elapsed = (Date.now() - warmUpUntil) / 1000;
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: latencies.length, acknowledged, errors, seconds: elapsed, rps: latencies.length / elapsed, p50Ms: pick(0.5), p99Ms: pick(0.99) };
}
