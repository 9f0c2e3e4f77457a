/**
 * Subscriber side of bench/fanout.ts, in its own process:
 *   node --import tsx bench/fanout-clients.ts <mode> <url> <clients> <expected> [token]
 * mode `graphql`: graphql-ws clients subscribed to events(topics: ["ticker.tick"]);
 * mode `raw`: plain WebSocket clients of the baseline broadcaster.
 * Each message carries `sentAt` (ms); the latency is receipt time minus that. Prints "ready" once
 * every client is subscribed, then the latencies' summary as JSON when all messages arrived.
 */
import { createClient } from 'graphql-ws';

const [mode, url, clientsArg, expectedArg, token = ''] = process.argv.slice(2);
const clients = Number(clientsArg);
const expected = Number(expectedArg);
if (!/^wss?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url)) throw new Error('the fan-out bench only targets this machine');
const latencies: number[] = [];
let ready = 0;
const record = (sentAt: number) => {
  latencies.push(Date.now() - sentAt);
  if (latencies.length === clients * expected) finish();
};
const disposers: (() => unknown)[] = [];

function finish() {
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  process.stdout.write(`${JSON.stringify({ received: latencies.length, p50Ms: pick(0.5), p99Ms: pick(0.99), maxMs: latencies.at(-1) })}\n`);
  for (const dispose of disposers) dispose();
  setTimeout(() => process.exit(0), 200);
}

for (let i = 0; i < clients; i++) {
  if (mode === 'raw') {
    const socket = new WebSocket(url);
    socket.onopen = () => {
      ready += 1;
      if (ready === clients) process.stdout.write('ready\n');
    };
    socket.onmessage = (message) => record(JSON.parse(String(message.data)).sentAt);
    disposers.push(() => socket.close());
  } else {
    const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
    let counted = false;
    client.on('connected', () => {
      // graphql-ws sends subscribe right after connecting; give the server a moment to register it.
      setTimeout(() => {
        if (counted) return;
        counted = true;
        ready += 1;
        if (ready === clients) process.stdout.write('ready\n');
      }, 500);
    });
    disposers.push(
      client.subscribe<{ events: { payload: { sentAt: number } } }>(
        { query: 'subscription { events(topics: ["ticker.tick"]) { payload } }' },
        {
          next: (m) => record(m.data?.events.payload.sentAt as number),
          error: (e) => process.stderr.write(`subscription error: ${JSON.stringify(e)}\n`),
          complete: () => {},
        },
      ),
    );
    disposers.push(() => client.dispose());
  }
}
setTimeout(() => {
  process.stderr.write(`timed out with ${latencies.length} of ${clients * expected} messages\n`);
  finish();
}, 120_000);
