import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AccessControl } from '../http/access-control.ts';
import { Kernel } from '../kernel/kernel.ts';
import { cloneTestDatabase } from './test-database.ts';

/** @internal */
export interface TestKernelOptions {
  plugins?: unknown[];
  env?: Record<string, string>;
  access?: AccessControl;
  /** Load plugins/* too (default false: a test names the plugins it exercises). */
  firstParty?: boolean;
  /** Reuse a database (e.g. for a second node); default: a fresh clone of the template. */
  databaseUrl?: string;
  /** How long a plugin's init may take before it counts as failed (the kernel's default: 30 s). */
  pluginInitTimeoutMs?: number;
}

/** A test of tap (`t.teardown`) or of node:test (`t.after`): what runs the clean-up when the test ends. */
export type Teardown = { teardown(fn: () => unknown): void } | { after(fn: () => unknown): void };

/** Registers `fn` to run when the test `t` ends, whichever runner `t` comes from. */
export function onTestEnd(t: Teardown, fn: () => unknown): void {
  if ('teardown' in t) t.teardown(fn);
  else t.after(fn);
}

/**
 * Boots a real kernel on a random port against a database of its own, and stops it (and drops the
 * database) when the test ends. The host's own tests use it to reach into the kernel; a plugin
 * author uses `startTestServer`, which builds on it.
 *
 * @internal
 */
export async function startTestKernel(t: { teardown(fn: () => unknown): void }, options: TestKernelOptions = {}): Promise<Kernel> {
  const database = options.databaseUrl ? undefined : await cloneTestDatabase();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-test-'));
  let kernel: Kernel;
  try {
    kernel = await Kernel.start({
      env: {
        NODE_ENV: 'test',
        ITOPS_PORT: '0',
        ITOPS_HOST: '127.0.0.1',
        ITOPS_LOG_LEVEL: process.env.ITOPS_TEST_LOG_LEVEL ?? 'silent',
        ITOPS_DATA_DIR: dataDir,
        ITOPS_WORKER_THREADS: '1',
        ITOPS_WORKER_WARM_THREADS: '0',
        ITOPS_DB_POOL_SIZE: '4',
        ITOPS_SHUTDOWN_TIMEOUT_MS: '5000',
        DATABASE_URL: options.databaseUrl ?? (database?.url as string),
        ...options.env,
      },
      plugins: options.plugins,
      access: options.access,
      firstParty: options.firstParty ?? false,
      pluginInitTimeoutMs: options.pluginInitTimeoutMs,
    });
  } catch (error) {
    // A boot that fails still gives its database (and an embedded server) back.
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  onTestEnd(t, async () => {
    await kernel.stop();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return kernel;
}

/** What `call` answers: the status, the headers, the body as text and, when it is JSON, parsed. */
export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** Options of `call`: a JSON `body` (sent as application/json), or a `raw` body sent as it is. */
export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  raw?: string;
}

/**
 * Fetch against the kernel with JSON conveniences; returns status, headers and parsed body.
 *
 * @internal
 */
export function call(kernel: Kernel, method: string, urlPath: string, options: CallOptions = {}): Promise<CallResult> {
  return fetchJson(kernel.url, method, urlPath, options);
}

/** `call` against a base URL. */
export async function fetchJson(baseUrl: string, method: string, urlPath: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${urlPath}`, { method, headers, body });
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
