import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import t, { type Test } from 'tap';
import { startTestServer } from '../../core/plugin-api/testing.ts';
import { createContainersPlugin } from '../../plugins/containers/plugin.ts';
import sla from '../../plugins/sla/plugin.ts';
import { createItopsClient, ok } from '../index.ts';
import { main } from './main.ts';

/** Runs the CLI in-process with its own config file and captured output. */
function cli(env: Record<string, string>) {
  const config = path.join(mkdtempSync(path.join(os.tmpdir(), 'itops-cli-')), 'config.json');
  return async (args: string[], input = '') => {
    let stdout = '';
    let stderr = '';
    const out = new PassThrough().on('data', (chunk) => (stdout += chunk));
    const err = new PassThrough().on('data', (chunk) => (stderr += chunk));
    const stdin = new PassThrough();
    stdin.end(input);
    const code = await main(args, { stdout: out, stderr: err, stdin, env: { ITOPS_CONFIG: config, ...env } });
    return { code, stdout, stderr, json: () => JSON.parse(stdout) };
  };
}

async function world(t: Test) {
  const server = await startTestServer(t, { plugins: [createContainersPlugin(), sla] });
  await server.activateLicense({ plugins: ['containers', 'sla'] });
  const member = await server.loginAs('ops_engineer', 'cli-ws');
  const admin = createItopsClient({ baseUrl: server.url, token: server.admin.token });
  await ok(
    admin.POST('/api/v1/users', {
      body: { email: 'cli@cli-ws.test', password: 'cli test password 123', memberships: [{ tenantId: 'cli-ws', role: 'msp_admin' }] },
    }),
  );
  return { server, member };
}

t.test('login, workspaces and exit codes a script can branch on', async (t) => {
  const { server } = await world(t);
  const itops = cli({ ITOPS_URL: server.url });

  const refused = await itops(['login', '--email', 'cli@cli-ws.test', '--password-stdin', '--json'], 'wrong password 123\n');
  t.equal(refused.code, 3, 'a refused login exits 3');
  t.match(JSON.parse(refused.stderr), { error: { status: 401, code: /\w/ } }, 'with the error as JSON on stderr');

  const notSignedIn = await itops(['heartbeats', 'list', '--json']);
  t.equal(notSignedIn.code, 3, 'no credentials: 3');

  const login = await itops(['login', '--email', 'cli@cli-ws.test', '--password-stdin', '--json'], 'cli test password 123\n');
  t.equal(login.code, 0, login.stderr);
  t.match(login.json(), { workspace: 'cli-ws', memberships: [{ tenantId: 'cli-ws', role: 'msp_admin' }] });

  const workspaces = await itops(['workspaces', '--json']);
  t.same(workspaces.json(), [{ id: 'cli-ws', role: 'msp_admin', name: null }], 'the saved login is used');
  const human = await itops(['workspaces']);
  t.equal(human.stdout, 'cli-ws\tmsp_admin\t\n', 'plain output without --json');

  const usage = await itops(['heartbeats', 'create', 'no-schedule', '--json']);
  t.equal(usage.code, 2, 'neither --period nor --cron: a usage error');
  t.equal(JSON.parse(usage.stderr).error.code, 'usage');
  t.equal((await itops(['heartbeats', 'frobnicate'])).code, 2, 'an unknown command: 2');

  const invalid = await itops(['heartbeats', 'create', 'x'.repeat(500), '--period', '60', '--json']);
  t.equal(invalid.code, 5, 'input the server refuses: 5');

  t.equal((await itops(['heartbeats', 'create', 'weekly-report', '--cron', '0 6 * * 1', '--timezone', 'Europe/Berlin', '--json'])).code, 0);
  const paused = await itops(['heartbeats', 'pause', 'weekly-report', '--json']);
  t.match(paused.json(), { name: 'weekly-report', status: 'paused' }, 'pause by name');
  const resumed = await itops(['heartbeats', 'resume', 'weekly-report']);
  t.match(resumed.stdout, /^weekly-report: (new|up|late|down)\n$/, 'resume, in plain output');
  const listed = await itops(['heartbeats', 'list', '--json']);
  t.match(listed.json(), [{ name: 'weekly-report', cron: '0 6 * * 1', timezone: 'Europe/Berlin' }]);

  const badKey = await itops(['heartbeats', 'list', '--api-key', 'itops_not_a_real_key_0000000000', '--json']);
  t.equal(badKey.code, 3, 'a refused API key: 3');

  const services = await itops(['services', '--json']);
  t.equal(services.code, 0, services.stderr);
  t.same(services.json(), [], 'no SLA services yet');

  const key = await itops(['apikeys', 'create', 'cli-key', '--scope', 'read', '--json']);
  t.equal(key.code, 0, key.stderr);
  const apiKey = key.json().api_key as string;
  const keyed = cli({ ITOPS_URL: server.url, ITOPS_WORKSPACE: 'cli-ws' });
  const saved = await keyed(['login', '--api-key', apiKey, '--json']);
  t.equal(saved.code, 0, saved.stderr);
  t.match(saved.json(), { principal: { kind: 'api_key' } }, 'login --api-key checks and saves the key');
  t.equal((await keyed(['heartbeats', 'list', '--json'])).code, 0, 'later commands use the saved key');
  t.equal((await keyed(['heartbeats', 'create', 'nope', '--period', '60', '--json'])).code, 3, 'a read key may not create: 3');

  const silence = await itops(['alerts', 'silence', '--source', 'heartbeat', '--duration', '30m', '--comment', 'maintenance window', '--json']);
  t.equal(silence.code, 0, silence.stderr);
  t.match(silence.json(), { matchers: { source: 'heartbeat' }, comment: 'maintenance window' });
});

t.test('ping and run by ping uuid without credentials; a command that cannot start is reported as 127', async (t) => {
  const { server, member } = await world(t);
  const api = createItopsClient({ baseUrl: server.url, token: member.token, workspaceId: 'cli-ws' });
  const heartbeat = await ok(api.POST('/api/v1/heartbeats', { body: { name: 'anonymous', periodSeconds: 600 } }));
  const itops = cli({ ITOPS_URL: server.url });

  const pinged = await itops(['ping', heartbeat.uuid, '--kind', 'log', '--body', 'hello', '--json']);
  t.equal(pinged.code, 0, pinged.stderr);
  t.same(pinged.json(), { uuid: heartbeat.uuid, kind: 'log', pinged: true });
  t.equal((await itops(['ping', 'by-name', '--json'])).code, 2, 'a name needs credentials');

  const run = await itops(['run', heartbeat.uuid, '--json', '--', '/nonexistent/backup.sh', '--full']);
  t.equal(run.code, 127, 'a command that cannot start: 127');
  const summary = JSON.parse(run.stderr.trim().split('\n').at(-1)!);
  t.match(summary, { uuid: heartbeat.uuid, exitCode: 127, startPinged: true, pinged: true });
  const pings = await ok(api.GET('/api/v1/heartbeats/{id}/pings', { params: { path: { id: heartbeat.id } } }));
  t.ok(
    pings.data.some((p) => p.exitCode === 127 && (p.body ?? '').includes('could not run /nonexistent/backup.sh')),
    'the failure ping says why',
  );
  t.equal((await ok(api.GET('/api/v1/heartbeats/{id}', { params: { path: { id: heartbeat.id } } }))).status, 'down');
});
