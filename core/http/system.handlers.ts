import type { Registry } from 'prom-client';
import { AppError } from '../errors/app-error.ts';
import type { OperationHandler, OperationRequest } from '../plugin-api/index.ts';
import { pluginMetricsOf } from './plugin-metrics.ts';
import { docsPageHeaders, renderDocsPage } from './docs-page.ts';

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
    async getMetrics(req: OperationRequest) {
      // Process and HTTP metrics are the node's; plugin gauges are the scraping workspace's alone.
      const [node, workspace] = await Promise.all([deps.metrics.metrics(), pluginMetricsOf(deps.metrics).render(req.tenantId as string)]);
      return { headers: { 'content-type': deps.metrics.contentType }, body: `${withoutGaugeTotals(node).replace(/\n*$/, '\n')}${workspace}` };
    },
    getOpenApiDocument: () => deps.document(),
    getApiDocs: () => ({ headers: docsPageHeaders, body: renderDocsPage(deps.document()) }),
  };
}

// prom-client's default metrics name three gauges `_total`, a suffix Prometheus keeps for counters
// (`promtool check metrics` refuses them); they go out as `_all` (the bare names are taken by the
// per-type gauges of the same things). The counters keep their `_total`.
const gaugeTotals = /\b(itops_nodejs_active_(?:handles|requests|resources))_total\b/g;
const withoutGaugeTotals = (text: string) => text.replace(gaugeTotals, '$1_all');

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
