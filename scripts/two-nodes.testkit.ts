import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { adminEmail, adminPassword, jwtSecret, memberPassword } from '../core/testing/identity-fixtures.ts';
import { type ServerProcess, startServerProcess } from '../core/testing/server-process.ts';
import { cloneTestDatabase } from '../core/testing/test-database.ts';

/**
 * The docker-compose topology without containers, for the two-node tests: the production build
 * (`npm run build`, run with plain node, no tsx) as node processes on one PostgreSQL and one data
 * directory, and a client that sends each request to the next node in turn, as the proxy does.
 */

type Json = any;

export interface Reply {
  status: number;
  json: Json;
  text: string;
  headers: Headers;
}

export interface SendOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  /** The node to ask (its index); default: the next one in turn. */
  node?: number;
}

export interface Cluster {
  /** The nodes, by index; a restarted node takes its old index. */
  nodes: ServerProcess[];
  /** The proxy: each request to the next node (or to `node`). */
  send(method: string, route: string, init?: SendOptions): Promise<Reply>;
  /** Starts one more node (index `nodes.length`) or, given an index, a fresh process in its place. */
  startNode(index?: number): Promise<ServerProcess>;
}

/** A request to one node's URL, its body parsed as JSON where it is JSON. */
export async function request(url: string, method: string, init: Omit<SendOptions, 'node'> = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await response.text();
  let json: Json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}

/**
 * Builds the production build into a folder of this test, clones a database, and starts `nodes`
 * node processes (default 2) with only `plugins` of the first-party plugins on and `env` added.
 * The first node bootstraps the platform admin (two empty nodes would race to create it); the
 * others start once it is up. Node output is printed when the test fails. Undefined when the
 * build fails (the test has then failed already).
 */
export async function startCluster(t: Test, options: { plugins: string[]; env?: Record<string, string>; nodes?: number }): Promise<Cluster | undefined> {
  const buildDir = path.join('.test-data', `build-${process.pid}`);
  t.teardown(() => rm(buildDir, { recursive: true, force: true }));
  // Outside the test runner's hooks (its NODE_OPTIONS and process-info variables would load into the compiler).
  const buildEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(NODE_OPTIONS|TAP|_TAPJS)/.test(name)));
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--out', buildDir], { encoding: 'utf8', env: buildEnv });
  t.equal(built.status, 0, `npm run build succeeds: ${built.stdout}${built.stderr}`);
  if (built.status !== 0) return undefined;

  const database = await cloneTestDatabase();
  t.teardown(() => database.drop());
  // Shared, as the compose file's volume is: artifacts written by one node are served by the other.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-two-nodes-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const disabled = readdirSync('plugins')
    .filter((id) => !options.plugins.includes(id))
    .join(',');
  const shared = { DATABASE_URL: database.url, ITOPS_JWT_SECRET: jwtSecret, ITOPS_DISABLED_PLUGINS: disabled, ITOPS_PLUGINS: '', ...options.env };
  const processOptions = { entry: path.join(buildDir, 'core/main.js'), firstParty: true, dataDir, startTimeoutMs: 120_000 };

  const nodes: ServerProcess[] = [];
  const everyProcess: ServerProcess[] = [];
  t.teardown(async () => {
    await Promise.all(everyProcess.map((node) => node.stop()));
    if (!t.passing()) for (const node of everyProcess) t.comment(`${node.url}:\n${node.output().stdout}\n${node.output().stderr}`);
  });
  const startNode = async (index = nodes.length) => {
    const bootstrap: Record<string, string> = everyProcess.length === 0 ? { ITOPS_ADMIN_EMAIL: adminEmail, ITOPS_ADMIN_PASSWORD: adminPassword } : {};
    const node = await startServerProcess(t, { ...shared, ...bootstrap }, processOptions);
    everyProcess.push(node);
    nodes[index] = node;
    return node;
  };
  for (let i = 0; i < (options.nodes ?? 2); i++) await startNode();

  let turn = 0;
  const send = (method: string, route: string, init: SendOptions = {}) => request(`${nodes[init.node ?? turn++ % nodes.length].url}${route}`, method, init);
  return { nodes, send, startNode };
}

/**
 * The platform admin creates workspace `acme` and its msp_admin olivia, who signs in: her token
 * and the workspace header, ready to spread into `send`'s options.
 */
export async function acmeWorkspace(t: Test, cluster: Cluster): Promise<{ token: string; headers: Record<string, string> }> {
  const admin = (await cluster.send('POST', '/api/v1/auth/login', { body: { email: adminEmail, password: adminPassword } })).json.token;
  t.equal((await cluster.send('POST', '/api/v1/tenants', { token: admin, body: { tenant_id: 'acme', name: 'Acme', plan: 'pro' } })).status, 201);
  const user = await cluster.send('POST', '/api/v1/users', {
    token: admin,
    body: { email: 'olivia@acme.test', password: memberPassword, memberships: [{ tenantId: 'acme', role: 'msp_admin' }] },
  });
  t.equal(user.status, 201, user.text);
  const token = (await cluster.send('POST', '/api/v1/auth/login', { body: { email: 'olivia@acme.test', password: memberPassword } })).json.token;
  return { token, headers: { 'x-workspace-id': 'acme' } };
}
