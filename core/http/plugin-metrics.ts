import type { Registry } from 'prom-client';
import { createServiceToken } from '../plugin-api/tokens.ts';
import type { MetricsCollector, WorkspaceGauge } from '../plugin-api/types.ts';
import { workspaceRoles } from '../rbac/roles.ts';

// A Prometheus scraper authenticates with an API key of any workspace role (a `viewer` key is the
// narrowest) and reads that workspace's monitors with the node's process and HTTP metrics.
export const metricsPermissions = [
  { name: 'metrics:read', description: 'Scrape /metrics: this node’s process and HTTP metrics and the workspace’s monitor gauges' },
];
export const metricsPolicies = workspaceRoles.map((role) => ({ role, permission: 'metrics:read' }));

/** Series one plugin may expose per workspace and scrape: beyond it the rest is dropped and counted. */
export const maxSeriesPerWorkspace = 5000;

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (value: string) => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Workspace-scoped gauges plugins contribute to `/metrics` (per-monitor state and the like). They
 * are collected at scrape time for the caller's workspace only, so one workspace's metrics key
 * never reads another's monitors; every sample carries a `workspace` label.
 */
export class PluginMetrics {
  private readonly collectors = new Map<string, { owner: string; collect: MetricsCollector }>();

  add(owner: string, collect: MetricsCollector): () => void {
    const key = `${owner}#${this.collectors.size}#${Math.random()}`;
    this.collectors.set(key, { owner, collect });
    return () => {
      this.collectors.delete(key);
    };
  }

  /** The text exposition of every plugin's gauges for one workspace; a failing collector is left out, not the scrape. */
  async render(workspace: string, onError: (owner: string, error: unknown) => void = () => {}): Promise<string> {
    const parts = await Promise.all(
      [...this.collectors.values()].map(async ({ owner, collect }) => {
        try {
          return renderGauges(owner, workspace, await collect(workspace));
        } catch (error) {
          onError(owner, error);
          return '';
        }
      }),
    );
    return parts.join('');
  }
}

function renderGauges(owner: string, workspace: string, gauges: WorkspaceGauge[]): string {
  const prefix = `itops_${owner}_`;
  let budget = maxSeriesPerWorkspace;
  let text = '';
  for (const gauge of gauges) {
    // Gauges only, never `_total` (promtool reserves it for counters), always under the plugin's prefix.
    if (!gauge.name.startsWith(prefix) || !metricName.test(gauge.name) || gauge.name.endsWith('_total')) {
      throw new Error(`plugin ${owner} exposes gauge "${gauge.name}": names start with ${prefix} and do not end in _total`);
    }
    text += `# HELP ${gauge.name} ${escapeHelp(gauge.help)}\n# TYPE ${gauge.name} gauge\n`;
    for (const sample of gauge.samples) {
      if (budget-- <= 0) break;
      if (!Number.isFinite(sample.value)) continue;
      const labels = Object.entries({ ...sample.labels, workspace })
        .filter(([name]) => labelName.test(name))
        .map(([name, value]) => `${name}="${escapeLabel(String(value))}"`)
        .join(',');
      text += `${gauge.name}{${labels}} ${sample.value}\n`;
    }
  }
  return text;
}

const byRegistry = new WeakMap<Registry, PluginMetrics>();

/** The plugin gauges that go out with a registry's metrics (one per kernel). */
export function pluginMetricsOf(registry: Registry): PluginMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = new PluginMetrics();
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

/** Where plugin scopes find the kernel's plugin gauges (not a service plugins `get`). */
export const pluginMetricsToken = createServiceToken<PluginMetrics>('plugin metrics (core)');
