import type { Registry } from 'prom-client';
import { AppError } from '../errors/app-error.ts';
import type { OperationHandler } from '../plugin-api/index.ts';
import { renderDocsPage } from './docs-page.ts';

export interface SystemDependencies {
  version: string;
  startedAt: number;
  metrics: Registry;
  checks: Record<string, () => Promise<boolean>>;
  document: () => Record<string, any>;
  plugins: () => { id: string; version: string; state: 'loaded' | 'unloaded' | 'failed' | 'disabled' | 'unlicensed'; error?: string }[];
}

/** Handlers of the core's own operations in openapi/root.yaml. */
export function systemHandlers(deps: SystemDependencies): Record<string, OperationHandler> {
  const health = () => ({ status: 'ok', version: deps.version });
  return {
    getHealth: health,
    getApiHealth: health,
    async getReadiness() {
      const names = Object.keys(deps.checks);
      const results = await Promise.all(names.map((name) => withinDeadline(deps.checks[name])));
      const checks = Object.fromEntries(names.map((name, i) => [name, results[i] ? 'ok' : 'unreachable']));
      if (results.some((ok) => !ok)) {
        throw new AppError('unavailable', 'Not ready: a dependency is unreachable', { details: checks, headers: { 'Retry-After': '5' } });
      }
      return { status: 'ready', checks };
    },
    getEngineStatus: () => ({
      status: 'ok',
      version: deps.version,
      uptimeSeconds: Math.floor((Date.now() - deps.startedAt) / 1000),
      plugins: deps.plugins(),
    }),
    async getMetrics() {
      return { headers: { 'content-type': deps.metrics.contentType }, body: await deps.metrics.metrics() };
    },
    getOpenApiDocument: () => deps.document(),
    getApiDocs: () => ({ headers: { 'content-type': 'text/html; charset=utf-8' }, body: renderDocsPage(deps.document()) }),
  };
}

/**
 * A check that does not answer in time counts as unreachable: a database host that drops packets
 * would otherwise hold the probe until the orchestrator's own timeout, with no details.
 */
async function withinDeadline(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check().catch(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
