/**
 * `npm run bench:fanout`: 1,000 GraphQL subscribers over graphql-ws, each receiving every event a
 * REST-side transaction commits; prints p50/p99 latency from commit to receipt. Baseline in the
 * same run: a bare `ws` server broadcasting the same messages to 1,000 plain WebSocket clients.
 * Goals: p99 under 100 ms, and at most 1.2x the bare broadcast's. Subscribers run in a separate
 * process from the server. A p99 over 20 messages is set by a message or two, so one pause of
 * either process decides it: after an uncounted round of each, the two take turns for BENCH_ROUNDS
 * rounds (3; the order alternates) and the medians count.
 *   BENCH_CLIENTS (1000), BENCH_MESSAGES (20), BENCH_ROUNDS (3)
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { definePlugin, tokens } from '../core/plugin-api/index.ts';
import { median, reportFigures, startBenchKernel } from './bench-kit.ts';

const clients = Number(process.env.BENCH_CLIENTS ?? 1000);
const messages = Number(process.env.BENCH_MESSAGES ?? 20);
const rounds = Math.min(Math.max(Number(process.env.BENCH_ROUNDS ?? 3), 1), 10);
const gapMs = 250;
const script = fileURLToPath(new URL('./fanout-clients.ts', import.meta.url));

type Summary = { received: number; p50Ms: number; p99Ms: number; maxMs: number };

function subscribers(mode: 'graphql' | 'raw', url: string, token = ''): { ready: Promise<void>; done: Promise<Summary> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script, mode, url, String(clients), String(messages), token], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const done = new Promise<Summary>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('ready\n')) markReady();
    });
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
      else reject(new Error(`subscribers exited with ${code}`));
    });
  });
  return { ready, done };
}

/** Baseline: a bare ws broadcaster. */
async function baseline(): Promise<Summary> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const subs = subscribers('raw', `ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await subs.ready;
  for (let i = 0; i < messages; i++) {
    const text = JSON.stringify({ sentAt: Date.now() });
    for (const socket of wss.clients) socket.send(text);
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  const summary = await subs.done;
  wss.close();
  server.close();
  return summary;
}

const ticker = definePlugin({
  id: 'ticker',
  version: '1.0.0',
  host: '*',
  events: [{ topic: 'ticker.tick' }],
  init(ctx) {
    const db = ctx.get(tokens.database);
    const events = ctx.get(tokens.events);
    ctx.provide(tickToken, (tenantId: string) =>
      db.forTenant(tenantId).transaction((tx) => events.publish(tx, { topic: 'ticker.tick', tenantId, payload: { sentAt: Date.now() } })),
    );
  },
});
import { createServiceToken } from '../core/plugin-api/index.ts';
const tickToken = createServiceToken<(tenantId: string) => Promise<string>>('ticker.tick');

/** The platform, booted once: each round subscribes 1,000 clients anew and commits the events. */
async function startFull(): Promise<{ round: () => Promise<Summary>; stop: () => Promise<void> }> {
  const kernel = await startBenchKernel([ticker], { ITOPS_ADMIN_EMAIL: 'bench@itops.test', ITOPS_ADMIN_PASSWORD: 'bench admin password' });
  try {
    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) =>
      (
        await fetch(`${kernel.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
      ).json() as Promise<any>;
    const admin = await post('/api/v1/auth/login', { email: 'bench@itops.test', password: 'bench admin password' });
    await post('/api/v1/tenants', { tenant_id: 'bench', name: 'Bench' }, { authorization: `Bearer ${admin.token}` });
    await post(
      '/api/v1/users',
      { email: 'ops@bench.test', password: 'ops password 123', memberships: [{ tenantId: 'bench', role: 'ops_engineer' }] },
      { authorization: `Bearer ${admin.token}` },
    );
    const ops = await post('/api/v1/auth/login', { email: 'ops@bench.test', password: 'ops password 123' });
    const tick = (kernel.plugins as unknown as { provided: { lookup(t: unknown): { value: (tenant: string) => Promise<string> } } }).provided.lookup(
      tickToken,
    ).value;
    const round = async () => {
      const subs = subscribers('graphql', `${kernel.url.replace('http', 'ws')}/graphql/ws`, ops.token);
      await subs.ready;
      for (let i = 0; i < messages; i++) {
        await tick('bench');
        await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
      return subs.done;
    };
    return { round, stop: () => kernel.stop() };
  } catch (error) {
    await kernel.stop();
    throw error;
  }
}

const platform = await startFull();
const rows: [string, Summary][] = [];
const ratios: number[] = [];
const p99s: number[] = [];
try {
  // Uncounted: both sides' first round pays for compiling their send paths and the clients' receive path.
  await baseline();
  await platform.round();
  for (let round = 1; round <= rounds; round++) {
    const bareFirst = round % 2 === 1;
    const first = bareFirst ? await baseline() : await platform.round();
    const second = bareFirst ? await platform.round() : await baseline();
    const [base, full] = bareFirst ? [first, second] : [second, first];
    rows.push([`round ${round}: bare ws broadcast, ${clients} clients`, base], [`round ${round}: itops graphql-ws, ${clients} subscribers`, full]);
    ratios.push(full.p99Ms / Math.max(1, base.p99Ms));
    p99s.push(full.p99Ms);
  }
} finally {
  await platform.stop();
}
process.stdout.write(`${'run'.padEnd(50)}${'received'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}\n`);
for (const [name, s] of rows) {
  process.stdout.write(
    `${name.padEnd(50)}${String(s.received).padStart(10)}${String(s.p50Ms).padStart(9)}${String(s.p99Ms).padStart(9)}${String(s.maxMs).padStart(9)}\n`,
  );
}
const ratio = median(ratios);
const p99 = median(p99s);
process.stdout.write(
  `\ncommit -> receipt p99: ${p99} ms (median of ${rounds}; goal < 100 ms); p99 against the bare broadcast: ${ratio.toFixed(2)}x (median; per round ${ratios.map((r) => r.toFixed(2)).join(', ')}; goal <= 1.2x)\n`,
);
reportFigures('fanout', [
  {
    figure: 'event p99 ms (commit to subscriber)',
    value: p99,
    baseline: 'bare ws broadcast',
    ratio,
    goal: '< 100 ms, <= 1.2x',
    pass: p99 < 100 && ratio <= 1.2,
  },
]);
