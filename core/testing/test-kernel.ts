import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AccessControl } from '../http/access-control.ts';
import { Kernel } from '../kernel/kernel.ts';
import { cloneTestDatabase } from './test-database.ts';

export interface TestKernelOptions {
  plugins?: unknown[];
  env?: Record<string, string>;
  access?: AccessControl;
  /** Load plugins/* too (default false: a test names the plugins it exercises). */
  firstParty?: boolean;
  /** Reuse a database (e.g. for a second node); default: a fresh clone of the template. */
  databaseUrl?: string;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * Boots a real kernel on a random port against a database of its own, and stops it (and drops the
 * database) when the test ends. What a plugin author uses to test a plugin over HTTP.
 */
export async function startTestKernel(t: Teardown, options: TestKernelOptions = {}): Promise<Kernel> {
  const database = options.databaseUrl ? undefined : await cloneTestDatabase();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-test-'));
  const kernel = await Kernel.start({
    env: {
      NODE_ENV: 'test',
      ITOPS_PORT: '0',
      ITOPS_HOST: '127.0.0.1',
      ITOPS_LOG_LEVEL: process.env.ITOPS_TEST_LOG_LEVEL ?? 'silent',
      ITOPS_DATA_DIR: dataDir,
      ITOPS_WORKER_THREADS: '1',
      ITOPS_DB_POOL_SIZE: '4',
      ITOPS_SHUTDOWN_TIMEOUT_MS: '5000',
      DATABASE_URL: options.databaseUrl ?? (database?.url as string),
      ...options.env,
    },
    plugins: options.plugins,
    access: options.access,
    firstParty: options.firstParty ?? false,
  });
  t.teardown(async () => {
    await kernel.stop();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return kernel;
}

/** Fetch against the kernel with JSON conveniences; returns status, headers and parsed body. */
export async function call(kernel: Kernel, method: string, urlPath: string, options: { body?: unknown; headers?: Record<string, string>; raw?: string } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${kernel.url}${urlPath}`, { method, headers, body });
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
