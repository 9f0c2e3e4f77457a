import { readFileSync } from 'node:fs';
import { type PluginContext, type PluginManifest, tokens } from '../../../core/plugin-api/index.ts';
import { parsePrivateNetworks, privateNetworksVariable } from '../endpoints/endpoint-address-policy.ts';
import { upsertEndpointsFromLabels } from '../endpoints/endpoint-labels.ts';
import { DockerAdapter } from '../runtime/docker-adapter.ts';
import { KubernetesAdapter } from '../runtime/kubernetes-adapter.ts';
import type { RuntimeAdapter } from '../runtime/runtime-adapter.ts';
import { initResourceMonitoring, type ResourceMonitoringOptions, resourceMonitoringManifest } from '../resources/resource-monitoring.ts';
import { RuntimeWatcher, type WatchRoundOptions } from '../runtime/runtime-watcher.ts';
import { initUpdateMonitoring, updateMonitoringManifest } from '../updates/update-monitoring.ts';
import { followAgentReports } from './agent-containers.ts';
import { containerEventStream } from './container-event-stream.ts';
import { containerEvents } from './container-events.ts';
import type { ApplyResult, RestartPolicy } from './container-store.ts';
import { containerHandlers, type RuntimeBinding } from './containers.handlers.ts';

export interface ContainerMonitoringOptions extends ResourceMonitoringOptions {
  clock?: () => Date;
  /** The runtime to watch (tests); default from ITOPS_CONTAINERS_RUNTIME and its variables; null for none. */
  runtime?: { adapter: RuntimeAdapter; tenantId: string; endpoint?: string } | null;
  /** How often a watch round is looked for (default 1 s; a round itself follows the stream for `watchRound.roundMs`). */
  watchTickMs?: number;
  watchRound?: WatchRoundOptions;
}

const readers = ['viewer', 'ops_engineer', 'automation_operator', 'integration_admin', 'data_admin'];

const v = {
  runtime: 'ITOPS_CONTAINERS_RUNTIME',
  workspace: 'ITOPS_CONTAINERS_RUNTIME_WORKSPACE',
  dockerHost: 'ITOPS_CONTAINERS_DOCKER_HOST',
  kubernetesApi: 'ITOPS_CONTAINERS_KUBERNETES_API',
  kubernetesTokenFile: 'ITOPS_CONTAINERS_KUBERNETES_TOKEN_FILE',
  kubernetesCaFile: 'ITOPS_CONTAINERS_KUBERNETES_CA_FILE',
  kubernetesNamespace: 'ITOPS_CONTAINERS_KUBERNETES_NAMESPACE',
  restartThreshold: 'ITOPS_CONTAINERS_RESTART_THRESHOLD',
  restartWindow: 'ITOPS_CONTAINERS_RESTART_WINDOW_SECONDS',
};

/** What containers and their runtime add to the containers plugin's manifest. */
export const containerMonitoringManifest = {
  topicNamespaces: ['container', ...resourceMonitoringManifest.topicNamespaces, ...updateMonitoringManifest.topicNamespaces],
  permissions: [
    { name: 'containers.containers:read', description: 'See containers, their groups, uptime and transitions, and the runtime status' },
    { name: 'containers.logs:read', description: 'Read containers’ logs (they may hold what only operators should see)' },
    ...resourceMonitoringManifest.permissions,
    ...updateMonitoringManifest.permissions,
  ],
  policies: [
    ...readers.map((role) => ({ role, permission: 'containers.containers:read' })),
    ...['ops_engineer', 'automation_operator', 'integration_admin'].map((role) => ({ role, permission: 'containers.logs:read' })),
    ...resourceMonitoringManifest.policies,
    ...updateMonitoringManifest.policies,
  ],
  events: [...containerEvents, ...resourceMonitoringManifest.events, ...updateMonitoringManifest.events],
  jobs: updateMonitoringManifest.jobs,
  config: {
    ...resourceMonitoringManifest.config,
    ...updateMonitoringManifest.config,
    [v.runtime]: {
      type: 'string',
      enum: ['none', 'docker', 'kubernetes'],
      default: 'none',
      description: 'The container runtime this server watches itself (agents report through the operator API whatever this says).',
    },
    [v.workspace]: {
      type: 'string',
      default: '',
      maxLength: 100,
      description: 'The workspace the watched runtime’s containers belong to (required with a runtime).',
    },
    [v.dockerHost]: {
      type: 'string',
      default: 'unix:///var/run/docker.sock',
      description: 'The Docker Engine API: unix:///path/docker.sock or tcp://host:2375.',
    },
    [v.kubernetesApi]: { type: 'string', default: 'https://kubernetes.default.svc', description: 'The Kubernetes API server.' },
    [v.kubernetesTokenFile]: {
      type: 'string',
      default: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      description: 'The service account token file (read at start).',
    },
    [v.kubernetesCaFile]: { type: 'string', default: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', description: 'The cluster CA certificate file.' },
    [v.kubernetesNamespace]: { type: 'string', default: '', description: 'Watch only this namespace (empty: every namespace the token may list).' },
    [v.restartThreshold]: { type: 'integer', default: 3, minimum: 2, maximum: 100, description: 'Starts within the window that make a restart loop.' },
    [v.restartWindow]: { type: 'integer', default: 600, minimum: 60, maximum: 86_400, description: 'The restart-loop window in seconds.' },
  } satisfies PluginManifest['config'],
};

/** The runtime the configuration names, or undefined for none. A missing token file fails the plugin's start with its path. */
function configuredRuntime(config: PluginContext['config']): RuntimeBinding | undefined {
  const kind = String(config[v.runtime] ?? 'none');
  if (kind === 'none') return undefined;
  const tenantId = String(config[v.workspace] ?? '');
  if (!tenantId) throw new Error(`${v.runtime}=${kind} needs ${v.workspace}: the workspace its containers belong to`);
  if (kind === 'docker') {
    const host = String(config[v.dockerHost]);
    return { adapter: new DockerAdapter({ host }), tenantId, endpoint: host };
  }
  const apiServer = String(config[v.kubernetesApi]);
  const token = readFileSync(String(config[v.kubernetesTokenFile]), 'utf8').trim();
  let ca: Buffer | undefined;
  try {
    ca = readFileSync(String(config[v.kubernetesCaFile]));
  } catch {}
  const namespace = String(config[v.kubernetesNamespace] ?? '') || undefined;
  return { adapter: new KubernetesAdapter({ apiServer, token, ca, namespace }), tenantId, endpoint: apiServer };
}

/**
 * Wires containers into the plugin: the handlers, the runtime watch rounds (where jobs run), agent
 * reports from the SLA plugin, and the endpoint checks that follow containers' labels.
 */
export function initContainerMonitoring(ctx: PluginContext, options: ContainerMonitoringOptions = {}): void {
  const database = ctx.get(tokens.database);
  const events = ctx.get(tokens.events);
  const alerts = ctx.get(tokens.alerts);
  const config = ctx.get(tokens.config);
  const clock = options.clock ?? (() => new Date());
  const restart: RestartPolicy = { threshold: Number(ctx.config[v.restartThreshold] ?? 3), windowSeconds: Number(ctx.config[v.restartWindow] ?? 600) };
  const runtime: RuntimeBinding | undefined =
    options.runtime === null
      ? undefined
      : options.runtime
        ? { ...options.runtime, endpoint: options.runtime.endpoint ?? options.runtime.adapter.kind }
        : configuredRuntime(ctx.config);

  // Label-declared endpoint checks pass the same address policy as those created through the API.
  const policy = {
    privateNetworks: parsePrivateNetworks(
      String(ctx.config[privateNetworksVariable] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
    hostAllowlist: config.outboundHostAllowlist,
    allowPrivate: config.outboundAllowPrivate,
  };
  const onLabelsChanged = async (tenantId: string, changed: ApplyResult['labelsChanged']) => {
    for (const c of changed) {
      // A new container without endpoint labels has no checks to create (most of a first listing).
      if (c.created && !Object.keys(c.labels).some((label) => label.startsWith('itops.endpoint.'))) continue;
      try {
        const result = await upsertEndpointsFromLabels(
          { database, alerts, policy, clock },
          { tenantId, containerId: c.id, containerName: c.name, labels: c.removed ? {} : c.labels },
        );
        if (result.problems.length > 0) ctx.logger.warn({ container: c.name, problems: result.problems }, 'container endpoint labels not used');
      } catch (error) {
        ctx.logger.error({ err: error, container: c.name }, 'container endpoint labels not applied');
      }
    }
  };

  for (const [operationId, handler] of Object.entries(containerHandlers({ database, clock, runtime }))) ctx.handle(operationId, handler);
  ctx.handle('streamContainerEvents', containerEventStream({ events }));

  if (runtime) {
    const watcher = new RuntimeWatcher(
      { database, events, alerts, logger: ctx.logger, clock, restart, onLabelsChanged },
      runtime.adapter,
      runtime.tenantId,
      runtime.endpoint,
      options.watchRound,
    );
    ctx.every('runtime_watch', options.watchTickMs ?? 1000, (signal) => watcher.round(signal));
  }
  initResourceMonitoring(ctx, runtime, clock, options);
  initUpdateMonitoring(ctx, runtime, clock);
  ctx.onUnload(followAgentReports({ database, events, alerts, logger: ctx.logger, clock, restart, onLabelsChanged }));
}
