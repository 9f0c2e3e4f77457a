import { definePlugin, openapiFiles, type PluginManifest, tokens } from '../../core/plugin-api/index.ts';
import { certificateReads } from './certificates/certificate-reads.ts';
import { containerReads } from './containers/container-reads.ts';
import { type ContainerMonitoringOptions, containerMonitoringManifest, initContainerMonitoring } from './containers/container-monitoring.ts';
import { registerResolvers } from './graphql/containers.resolvers.ts';
import { endpointReads } from './endpoints/endpoint-reads.ts';
import { HeartbeatDeadlines } from './heartbeats/heartbeat-deadlines.ts';
import { heartbeatReads } from './heartbeats/heartbeat-reads.ts';
import { heartbeatHandlers } from './heartbeats/heartbeats.handlers.ts';
import { heartbeatEvents } from './heartbeats/heartbeat-events.ts';
import { PingIngest, PingStore } from './heartbeats/ping-ingest.ts';
import { pingHandlers } from './heartbeats/ping.handlers.ts';
import { prunePings } from './heartbeats/ping-retention.ts';
import { badgeHandlers } from './badges/badges.handlers.ts';
import { monitorMetrics } from './metrics/monitor-metrics.ts';
import { statusAdminHandlers } from './status-page/status-admin.handlers.ts';
import { pruneStatusHistory, StatusStore, statusPageEvents } from './status-page/status-components.ts';
import { statusPageHandlers } from './status-page/status-page.handlers.ts';
import { statusPostsHandlers } from './status-page/status-posts.handlers.ts';
import { statusSettingsHandlers } from './status-page/status-settings.handlers.ts';
import { type EndpointMonitoringOptions, endpointMonitoringManifest, initEndpointMonitoring } from './endpoints/endpoint-monitoring.ts';
import { heartbeatImportKind } from './heartbeats/heartbeat-import-kind.ts';
import { endpointImportKind } from './endpoints/endpoint-import-kind.ts';
import { containersDashboardCounters } from './dashboard-counters.ts';

export interface ContainersOptions extends EndpointMonitoringOptions, ContainerMonitoringOptions {
  /** The time source of pings, deadlines and history (tests move it; default: the system clock). */
  clock?: () => Date;
  /** How often this node evaluates heartbeat deadlines (default 1 s). */
  deadlineIntervalMs?: number;
  /** Ping batches committing side by side (default 2: one is written while the other waits for its WAL flush). */
  pingBatchesInFlight?: number;
  /** Public status page streams (`/status/events`) one node holds open at most (default 5000). */
  maxStatusStreams?: number;
}

/**
 * Container monitoring (seed 004). Part 1: heartbeat monitors with Healthchecks-compatible public
 * pings, group-committed; deadlines evaluated in the database; alerts through the core service.
 */
export function createContainersPlugin(options: ContainersOptions = {}): PluginManifest {
  return definePlugin({
    id: 'containers',
    version: '0.1.0',
    host: '>=0.1.0 <1.0.0',
    migrations: new URL('./migrations/', import.meta.url),
    // Topic names fixed by the public contract (seed 004): `heartbeat.pinged`, `endpoint.alert`, …
    topicNamespaces: ['heartbeat', 'endpoint', 'certificate', 'status_page', ...containerMonitoringManifest.topicNamespaces],
    openapi: openapiFiles(
      new URL('./heartbeats/heartbeats.openapi.yaml', import.meta.url),
      new URL('./status-page/status-page.openapi.yaml', import.meta.url),
      new URL('./endpoints/endpoints.openapi.yaml', import.meta.url),
      new URL('./certificates/certificates.openapi.yaml', import.meta.url),
      new URL('./badges/badges.openapi.yaml', import.meta.url),
      new URL('./containers/containers.openapi.yaml', import.meta.url),
      new URL('./resources/resources.openapi.yaml', import.meta.url),
      new URL('./updates/updates.openapi.yaml', import.meta.url),
    ),
    graphql: new URL('./graphql/schema.graphql', import.meta.url),
    permissions: [
      { name: 'containers.heartbeats:read', description: 'See heartbeat monitors, their pings, executions and uptime' },
      { name: 'containers.heartbeats:write', description: 'Create, change, pause, resume and delete heartbeat monitors' },
      { name: 'containers.status_page:read', description: 'See the status page’s component groups and components with their status' },
      { name: 'containers.status_page:write', description: 'Create, change and delete status page groups and components' },
      ...endpointMonitoringManifest.permissions,
      ...containerMonitoringManifest.permissions,
    ],
    policies: [
      ...['viewer', 'ops_engineer', 'automation_operator', 'integration_admin', 'data_admin'].map((role) => ({
        role,
        permission: 'containers.heartbeats:read',
      })),
      { role: 'ops_engineer', permission: 'containers.heartbeats:write' },
      ...['viewer', 'ops_engineer', 'automation_operator', 'integration_admin', 'data_admin'].map((role) => ({
        role,
        permission: 'containers.status_page:read',
      })),
      { role: 'ops_engineer', permission: 'containers.status_page:write' },
      ...endpointMonitoringManifest.policies,
      ...containerMonitoringManifest.policies,
    ],
    events: [...heartbeatEvents, ...statusPageEvents, ...endpointMonitoringManifest.events, ...containerMonitoringManifest.events],
    config: { ...endpointMonitoringManifest.config, ...containerMonitoringManifest.config },
    importKinds: [heartbeatImportKind, endpointImportKind],
    dashboardCounters: containersDashboardCounters,
    console: {
      pages: [
        { path: 'heartbeats', title: 'Heartbeats', navGroup: 'Monitoring', permission: 'containers.heartbeats:read', list: '/api/v1/heartbeats' },
        { path: 'endpoints', title: 'Endpoints & certificates', navGroup: 'Monitoring', permission: 'containers.endpoints:read', list: '/api/v1/endpoints' },
        { path: 'status-page', title: 'Status page', navGroup: 'Monitoring', permission: 'containers.status_page:read', list: '/api/v1/status/components' },
        {
          path: 'containers',
          title: 'Containers',
          navGroup: 'Monitoring',
          permission: 'containers.containers:read',
          list: '/api/v1/containers',
          columns: ['name', 'state', 'health', 'image', 'group', 'stateSince'],
          record: { lists: [{ operation: 'listContainerTransitions', title: 'State changes', columns: ['at', 'kind', 'from', 'to', 'exitCode', 'reason'] }] },
        },
      ],
    },
    jobs: [
      { name: 'ping_retention', schedule: '17 * * * *', expireInSeconds: 3600 },
      { name: 'status_history_retention', schedule: '41 3 * * *', expireInSeconds: 3600 },
      ...endpointMonitoringManifest.jobs,
      ...containerMonitoringManifest.jobs,
    ],
    init(ctx) {
      const database = ctx.get(tokens.database);
      const events = ctx.get(tokens.events);
      const alerts = ctx.get(tokens.alerts);
      const config = ctx.get(tokens.config);
      const clock = options.clock ?? (() => new Date());

      // One sweep at a time across the nodes; a change of schedule, pause or resume asks for one now.
      const deadlines = new HeartbeatDeadlines({ database, events, alerts, clock });
      const sweep = ctx.every('deadlines', options.deadlineIntervalMs ?? 1000, () => deadlines.evaluate());
      const wake = () => sweep.wake();

      const store = new PingStore({ database, events, alerts });
      const ingest = new PingIngest(store, {
        inFlight: options.pingBatchesInFlight ?? 2,
        maxBatch: 1000,
        maxQueued: 50_000,
        maxBatchBytes: 4_000_000,
        logger: ctx.logger,
      });
      ctx.onUnload(() => ingest.close());

      const handlers = {
        ...pingHandlers({ submit: (ping) => ingest.submit(ping), clock }),
        ...heartbeatHandlers({ database, events, alerts, clock, absoluteUrl: config.absoluteUrl, onStatusChange: wake }),
        ...statusAdminHandlers({ database, events, clock }),
        ...statusSettingsHandlers({ database, clock }),
        ...statusPostsHandlers({ database, events, clock }),
        ...statusPageHandlers({ database, events, clock, maxStreams: options.maxStatusStreams }),
        ...badgeHandlers({ database, clock, absoluteUrl: config.absoluteUrl }),
      };
      for (const [operationId, handler] of Object.entries(handlers)) ctx.handle(operationId, handler);
      ctx.metrics(monitorMetrics({ database, clock }));
      ctx.job('ping_retention', async () => {
        await prunePings(database, clock());
      });

      // The status page's own record of what its components are bound to, fed by their events.
      ctx.onUnload(new StatusStore({ database, events, logger: ctx.logger }).start());
      ctx.job('status_history_retention', async () => {
        await pruneStatusHistory(database, clock());
      });

      // Endpoint checks, certificate monitors and the dashboard's sparklines.
      initEndpointMonitoring(ctx, options);
      // Containers from the runtime (or agents), their transitions, logs and label-declared endpoints.
      initContainerMonitoring(ctx, options);

      // GraphQL: the same reads as REST, and the plugin's events as subscriptions.
      registerResolvers(ctx, {
        heartbeats: heartbeatReads({ database, clock, absoluteUrl: config.absoluteUrl }),
        endpoints: endpointReads({ database }),
        certificates: certificateReads({ database, clock }),
        containers: containerReads({ database, clock }),
        events,
      });
    },
  });
}

export default createContainersPlugin();
