import { randomBytes } from 'node:crypto';
import { generateLicenseKeyPair } from '../license/license-keys.ts';
import { issueLicense } from '../license/license-token.ts';
import type { DatabaseService, PlatformEvent } from '../plugin-api/index.ts';
import { type CallOptions, type CallResult, call, fetchJson, onTestEnd, startTestKernel, type Teardown } from './test-kernel.ts';

export interface TestServerOptions {
  /** The plugins under test: their manifests, as the plugin's entry module exports them. */
  plugins: unknown[];
  /** Extra configuration (ITOPS_* variables), e.g. a plugin's own settings. */
  env?: Record<string, string>;
  /** How long a plugin's init may take before it counts as failed (default 30 s). */
  pluginInitTimeoutMs?: number;
}

/** A signed-in user of a test server: send `headers` with a call to act as them. */
export interface TestActor {
  id: string;
  email: string;
  /** The workspace the user is a member of (none for the platform admin). */
  tenantId?: string;
  role: string;
  token: string;
  headers: Record<string, string>;
}

/** A plugin as `GET /api/v1/edition` reports it; `error` says why a failed plugin is off. */
export interface TestPluginState {
  id: string;
  licensed: boolean;
  state: 'loaded' | 'unloaded' | 'failed' | 'disabled' | 'unlicensed';
  error?: string;
}

/** A running server with the plugins under test, the real identity layer and a trusted license vendor. */
export interface TestServer {
  readonly url: string;
  /** The platform administrator (tenants, users, licenses). */
  readonly admin: TestActor;
  /** The database as plugins get it: `forTenant(id)` under row-level security, `platform` across tenants. */
  readonly database: DatabaseService;
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  /** Signs in a new user holding `role` in `tenantId` (created when missing, default `acme`). */
  loginAs(role: string, tenantId?: string): Promise<TestActor>;
  /** Every plugin the server knows, with its state and, for a failed one, the reason. */
  plugins(): Promise<TestPluginState[]>;
  /** Activates a license for exactly `plugins`; plugins it leaves out unload at once, and all of them at `expiresAt`. */
  activateLicense(license: { plugins: string[]; expiresAt?: Date }): Promise<void>;
  /** Calls `listener` with every event delivered after its transaction commits; returns the unsubscribe. */
  onEvent(listener: (event: PlatformEvent) => void): () => void;
}

const adminEmail = 'admin@itops.test';
const adminPassword = 'test admin password 123';
const memberPassword = 'test member password 123';

async function signIn(url: string, email: string, password: string): Promise<{ id: string; token: string }> {
  const response = await fetchJson(url, 'POST', '/api/v1/auth/login', { body: { email, password } });
  if (response.status !== 200) throw new Error(`login of ${email} failed: ${response.status} ${response.text}`);
  return { id: response.json.user.id, token: response.json.token };
}

/**
 * Boots a real server (kernel, identity, licensing) with the plugins under test on a database of
 * its own, for a plugin author's tests under any runner: pass tap's or node:test's `t`, and the
 * server stops and its database is dropped when that test ends. Outside the host's `npm test` the
 * database server is DATABASE_URL's or an embedded one, and the plugin's migrations run on a fresh
 * database as they would on a new installation.
 */
export async function startTestServer(t: Teardown, options: TestServerOptions): Promise<TestServer> {
  const vendor = generateLicenseKeyPair();
  const kernel = await startTestKernel(
    { teardown: (fn) => onTestEnd(t, fn) },
    {
      plugins: options.plugins,
      pluginInitTimeoutMs: options.pluginInitTimeoutMs,
      env: {
        ITOPS_ADMIN_EMAIL: adminEmail,
        ITOPS_ADMIN_PASSWORD: adminPassword,
        ITOPS_JWT_SECRET: randomBytes(32).toString('hex'),
        ITOPS_LICENSE_PUBLIC_KEYS: vendor.publicKey,
        ...options.env,
      },
    },
  );
  const url = kernel.url;
  const signedIn = await signIn(url, adminEmail, adminPassword);
  const admin: TestActor = { ...signedIn, email: adminEmail, role: 'platform_admin', headers: { authorization: `Bearer ${signedIn.token}` } };
  const tenants = new Set<string>();
  let users = 0;

  const ensureTenant = async (tenantId: string) => {
    if (tenants.has(tenantId)) return;
    const created = await call(kernel, 'POST', '/api/v1/tenants', { headers: admin.headers, body: { tenant_id: tenantId, name: tenantId, plan: 'pro' } });
    if (created.status !== 201) throw new Error(`workspace ${tenantId}: ${created.status} ${created.text}`);
    tenants.add(tenantId);
  };

  return {
    url,
    admin,
    database: kernel.database,
    call: (method, path, callOptions) => fetchJson(url, method, path, callOptions),
    async loginAs(role, tenantId = 'acme') {
      await ensureTenant(tenantId);
      const email = `${role.replaceAll('_', '-')}-${++users}@${tenantId}.test`;
      const created = await call(kernel, 'POST', '/api/v1/users', {
        headers: admin.headers,
        body: { email, password: memberPassword, memberships: [{ tenantId, role }] },
      });
      if (created.status !== 201) throw new Error(`user with role ${role} in ${tenantId}: ${created.status} ${created.text}`);
      const user = await signIn(url, email, memberPassword);
      return { ...user, email, tenantId, role, headers: { authorization: `Bearer ${user.token}` } };
    },
    async plugins() {
      const edition = await call(kernel, 'GET', '/api/v1/edition', { headers: admin.headers });
      if (edition.status !== 200) throw new Error(`GET /api/v1/edition: ${edition.status} ${edition.text}`);
      return edition.json.plugins;
    },
    async activateLicense(license) {
      const licenseKey = await issueLicense(vendor.privateJwk, { customer: 'Plugin tests', plugins: license.plugins, expiresAt: license.expiresAt });
      const activated = await call(kernel, 'POST', '/api/v1/license/activate', { headers: admin.headers, body: { licenseKey } });
      if (activated.status !== 200) throw new Error(`license activation: ${activated.status} ${activated.text}`);
    },
    onEvent: (listener) => kernel.events.subscribe(listener),
  };
}
