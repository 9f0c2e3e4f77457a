import { type PluginContext, type PluginManifest, tokens } from '../../../core/plugin-api/index.ts';
import { certificateHandlers } from '../certificates/certificates.handlers.ts';
import { type CheckAddressPolicy, parsePrivateNetworks, privateNetworksVariable } from './endpoint-address-policy.ts';
import { certificateEvents, endpointEvents } from './endpoint-events.ts';
import { EndpointSchedule } from './endpoint-schedule.ts';
import { endpointHandlers } from './endpoints.handlers.ts';
import { pruneEndpointHistory } from './endpoint-retention.ts';
import { sparklineHandlers } from './sparklines.handlers.ts';

export interface EndpointMonitoringOptions {
  clock?: () => Date;
  /**
   * Private ranges endpoint and certificate checks may reach (`cidr` or `workspace=cidr`). Default:
   * ITOPS_CONTAINERS_ENDPOINT_PRIVATE_NETWORKS (comma-separated).
   */
  endpointPrivateNetworks?: string[];
  /** Checks one node runs at a time (default 16). */
  checkConcurrency?: number;
  /** How often a round looks for due checks (default 1 s). */
  checkTickMs?: number;
  /** Resolver of check targets (tests). */
  resolveHost?: (host: string) => Promise<string[]>;
}

const readers = ['viewer', 'ops_engineer', 'automation_operator', 'integration_admin', 'data_admin'];

/** What endpoint and certificate monitoring adds to the containers plugin's manifest. */
export const endpointMonitoringManifest = {
  permissions: [
    { name: 'containers.endpoints:read', description: 'See endpoint checks, their results, uptime and the dashboard sparklines' },
    { name: 'containers.endpoints:write', description: 'Create, change and delete endpoint checks' },
    { name: 'containers.certificates:read', description: 'See certificate monitors and their check history' },
    { name: 'containers.certificates:write', description: 'Create, change and delete certificate monitors' },
  ],
  policies: [
    ...readers.flatMap((role) => [
      { role, permission: 'containers.endpoints:read' },
      { role, permission: 'containers.certificates:read' },
    ]),
    { role: 'ops_engineer', permission: 'containers.endpoints:write' },
    { role: 'ops_engineer', permission: 'containers.certificates:write' },
  ],
  events: [...endpointEvents, ...certificateEvents],
  config: {
    [privateNetworksVariable]: {
      type: 'string',
      default: '',
      description:
        'Private networks endpoint and certificate checks may reach (they are your own services, unlike webhooks): comma-separated CIDRs for every workspace, or workspace=CIDR for one.',
    },
  } satisfies PluginManifest['config'],
  jobs: [{ name: 'endpoint_retention', schedule: '23 * * * *', expireInSeconds: 3600 }],
};

/**
 * Wires endpoint checks, certificate monitors and sparklines into the plugin: the handlers, the
 * retention job and, where jobs run, the check rounds.
 */
export function initEndpointMonitoring(ctx: PluginContext, options: EndpointMonitoringOptions = {}): void {
  const database = ctx.get(tokens.database);
  const events = ctx.get(tokens.events);
  const alerts = ctx.get(tokens.alerts);
  const config = ctx.get(tokens.config);
  const clock = options.clock ?? (() => new Date());
  // The plugin's own variable, validated here: a bad entry fails the plugin's start.
  const configured = String(ctx.config[privateNetworksVariable] ?? '');
  const policy: CheckAddressPolicy = {
    privateNetworks: parsePrivateNetworks(
      options.endpointPrivateNetworks ??
        configured
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
    ),
    hostAllowlist: config.outboundHostAllowlist,
    allowPrivate: config.outboundAllowPrivate,
    resolve: options.resolveHost,
  };

  const schedule = new EndpointSchedule({ database, events, alerts, clock, logger: ctx.logger, policy }, { concurrency: options.checkConcurrency ?? 16 });
  const checks = ctx.every(
    'checks',
    options.checkTickMs ?? 1000,
    schedule.periodic((): void => checks.wake()),
  );
  ctx.onUnload(() => schedule.stop());
  const onDue = () => checks.wake();

  const handlers = {
    ...endpointHandlers({ database, alerts, clock, policy, onDue }),
    ...certificateHandlers({ database, alerts, clock, policy, onDue }),
    ...sparklineHandlers({ database, clock }),
  };
  for (const [operationId, handler] of Object.entries(handlers)) ctx.handle(operationId, handler);
  ctx.job('endpoint_retention', async () => {
    await pruneEndpointHistory(database, clock());
  });
}
