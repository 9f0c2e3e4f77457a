/**
 * The SDK and CLI end to end, as a new user's script: creates a workspace and a user in it, signs in
 * with the CLI, creates an API key, creates a heartbeat, runs `itops run` on a failing and a
 * succeeding command and sees both outcomes, lists alerts, and receives the heartbeat's events over
 * graphql-ws. It uses only `@itops/sdk` (the built package) and its `itops` CLI, is type-checked
 * with `tsc --strict` (sdk/e2e/tsconfig.json) and runs on plain Node (no tsx).
 *
 * Needs ITOPS_URL and ITOPS_ADMIN_TOKEN (a platform admin's JWT); prints one line per step and exits
 * non-zero on the first thing that is not as expected.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Alert, createItopsClient, createSubscriptionClient, type Heartbeat, ok, paginate, subscribeEvents, type TopicEvent } from '@itops/sdk';

const url = required('ITOPS_URL');
const cli = fileURLToPath(new URL('./dist/cli/bin.js', import.meta.resolve('@itops/sdk/package.json')));
const configDir = mkdtempSync(path.join(os.tmpdir(), 'itops-e2e-'));

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function check(condition: boolean, what: string, detail?: unknown): void {
  if (!condition) throw new Error(`not as expected: ${what}${detail === undefined ? '' : `\n${JSON.stringify(detail, null, 2)}`}`);
  console.log(`ok - ${what}`);
}

/** Runs the CLI on plain Node, with its own config file; resolves with its exit code and output. */
function itops(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [cli, ...args],
      { env: { ...process.env, ITOPS_CONFIG: path.join(configDir, 'config.json'), ITOPS_URL: url } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

const workspace = `e2e-${randomBytes(4).toString('hex')}`;
const email = `ops@${workspace}.test`;
const password = `e2e password ${randomBytes(8).toString('hex')}`;

// The platform admin creates the workspace and its first user through the SDK.
const admin = createItopsClient({ baseUrl: url, token: required('ITOPS_ADMIN_TOKEN') });
await ok(admin.POST('/api/v1/tenants', { body: { tenant_id: workspace, name: 'End to end', plan: 'pro' } }));
await ok(admin.POST('/api/v1/users', { body: { email, password, memberships: [{ tenantId: workspace, role: 'msp_admin' }] } }));
check(true, `workspace ${workspace} and its admin ${email} created`);

const login = await itops(['login', '--email', email, '--password-stdin', '--json'], `${password}\n`);
check(login.code === 0 && JSON.parse(login.stdout).workspace === workspace, 'itops login signs in and picks the only workspace');

const key = await itops(['apikeys', 'create', 'e2e-job', '--scope', 'write', '--json']);
const apiKey: string = JSON.parse(key.stdout).api_key;
check(key.code === 0 && apiKey.length > 20, 'itops apikeys create returns a key');

const created = await itops([
  'heartbeats',
  'create',
  'nightly-backup',
  '--period',
  '3600',
  '--grace',
  '60',
  '--json',
  '--api-key',
  apiKey,
  '--workspace',
  workspace,
]);
check(created.code === 0, 'itops heartbeats create (with the API key)', created);
const heartbeat = JSON.parse(created.stdout) as Heartbeat;
check(heartbeat.name === 'nightly-backup', 'the heartbeat is named as asked');
check(/^https?:\/\//.test(heartbeat.pingUrl) || heartbeat.pingUrl.startsWith('/ping/'), `the ping URL is ${heartbeat.pingUrl}`);

// Events of the heartbeat over graphql-ws, with the API key, while the jobs run.
const api = createItopsClient({ baseUrl: url, apiKey, workspaceId: workspace });
const ws = createSubscriptionClient(api, { retryAttempts: 0 });
const received: TopicEvent<'heartbeat.pinged'>[] = [];
const listening = (async () => {
  for await (const event of subscribeEvents(ws, ['heartbeat.pinged'])) {
    if (event.payload.heartbeatId !== heartbeat.id) continue;
    received.push(event);
    if (received.some((e) => e.payload.status === 'up')) return;
  }
})();
// The subscription is live once the server acknowledged it; a ping before that would be missed.
await new Promise((resolve) => setTimeout(resolve, 1000));

const failing = await itops(['run', 'nightly-backup', '--', process.execPath, '-e', 'console.log("backup failed: disk full"); process.exit(3)']);
check(failing.code === 3 && failing.stdout.includes('disk full'), 'itops run passes a failing job’s output and exit code (3) through');
const afterFailure = await ok(api.GET('/api/v1/heartbeats/{id}', { params: { path: { id: heartbeat.id } } }));
check(
  afterFailure.status === 'down' && afterFailure.lastExitCode === 3,
  `the heartbeat is down with exit code 3 (${afterFailure.status}, ${afterFailure.lastExitCode})`,
);

const alerts = await itops(['alerts', 'list', '--status', 'firing', '--json']);
const firing = JSON.parse(alerts.stdout) as Alert[];
check(alerts.code === 0 && firing.some((alert) => alert.entityId === heartbeat.id), 'itops alerts list shows the heartbeat’s alert');

const succeeding = await itops(['run', 'nightly-backup', '--', process.execPath, '-e', 'console.log("backup done")']);
check(succeeding.code === 0 && succeeding.stdout.includes('backup done'), 'itops run passes a good job through with exit code 0');
const afterSuccess = await ok(api.GET('/api/v1/heartbeats/{id}', { params: { path: { id: heartbeat.id } } }));
check(afterSuccess.status === 'up' && afterSuccess.lastExitCode === 0, 'the heartbeat is up again');

const pings = [];
for await (const item of paginate((offset, limit) =>
  ok(api.GET('/api/v1/heartbeats/{id}/pings', { params: { path: { id: heartbeat.id }, query: { offset, limit } } })),
))
  pings.push(item);
check(
  pings.some((p) => p.exitCode === 3 && (p.body ?? '').includes('disk full')),
  'the failing run’s ping carries its exit code and output',
);
check(pings.filter((p) => p.kind === 'start').length === 2, 'each run sent a start ping');

await Promise.race([listening, new Promise((_, reject) => setTimeout(() => reject(new Error('no heartbeat.pinged event within 10 s')), 10_000))]);
check(
  received.some((e) => e.payload.status === 'down') && received.some((e) => e.payload.status === 'up'),
  'graphql-ws delivered the down and up pings, typed',
);
await ws.dispose();

const listed = await itops(['heartbeats', 'list', '--json']);
check(listed.code === 0 && (JSON.parse(listed.stdout) as Heartbeat[]).length === 1, 'itops heartbeats list');
const missing = await itops(['heartbeats', 'pause', 'no-such-heartbeat', '--json']);
check(missing.code === 4 && JSON.parse(missing.stderr).error.code === 'not_found', 'an unknown heartbeat exits 4 with a JSON error');
console.log('done');
