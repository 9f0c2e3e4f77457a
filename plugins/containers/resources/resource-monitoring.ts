import { type EventDeclaration, type PluginContext, type PluginManifest, tokens } from '../../../core/plugin-api/index.ts';
import type { RuntimeBinding } from '../containers/containers.handlers.ts';
import { collectReadings, pruneReadings } from './resource-collector.ts';
import { resourceHandlers } from './resources.handlers.ts';

const readers = ['viewer', 'ops_engineer', 'automation_operator', 'integration_admin', 'data_admin'];
const intervalVariable = 'ITOPS_CONTAINERS_RESOURCE_INTERVAL_SECONDS';
const retentionVariable = 'ITOPS_CONTAINERS_RESOURCE_RETENTION_HOURS';

const reading = { containerId: { type: 'string', format: 'uuid' }, at: { type: 'string', format: 'date-time' } };
const crossing = {
  type: 'object',
  required: ['containerId', 'name', 'metric', 'value', 'threshold', 'at'],
  properties: {
    ...reading,
    name: { type: 'string' },
    metric: { type: 'string', enum: ['cpu', 'memory'] },
    value: { type: ['number', 'null'] },
    threshold: { type: ['number', 'null'] },
  },
};

/** Resource event topics (seed 004). */
export const resourceEvents: EventDeclaration[] = [
  {
    topic: 'resource.snapshot',
    description: 'A new resource reading of a container.',
    payloadSchema: {
      type: 'object',
      required: ['containerId', 'at', 'cpuPercent', 'memoryBytes'],
      properties: { ...reading, cpuPercent: { type: 'number' }, memoryBytes: { type: 'number' }, memoryPercent: { type: ['number', 'null'] } },
    },
  },
  { topic: 'resource.alert', description: 'A container’s CPU or memory went above its threshold.', payloadSchema: crossing },
  { topic: 'resource.recovery', description: 'A container’s CPU or memory returned below its threshold.', payloadSchema: crossing },
];

/** What container resources add to the containers plugin's manifest. */
export const resourceMonitoringManifest = {
  topicNamespaces: ['resource'],
  permissions: [
    { name: 'containers.resources:read', description: 'See containers’ CPU, memory, network and I/O, their history, thresholds, summary and top consumers' },
    { name: 'containers.resources:write', description: 'Set containers’ resource alert thresholds' },
  ],
  policies: [...readers.map((role) => ({ role, permission: 'containers.resources:read' })), { role: 'ops_engineer', permission: 'containers.resources:write' }],
  events: resourceEvents,
  config: {
    [intervalVariable]: {
      type: 'integer',
      default: 10,
      minimum: 5,
      maximum: 3600,
      description: 'Seconds between resource readings of the watched runtime’s containers.',
    },
    [retentionVariable]: { type: 'integer', default: 48, minimum: 1, maximum: 8760, description: 'Hours resource readings are kept.' },
  } satisfies PluginManifest['config'],
};

export interface ResourceMonitoringOptions {
  /** Milliseconds between snapshot rounds (tests); default from ITOPS_CONTAINERS_RESOURCE_INTERVAL_SECONDS. */
  resourceIntervalMs?: number;
}

/** Handlers, snapshot rounds of the watched runtime (one node at a time) and the retention sweep. */
export function initResourceMonitoring(
  ctx: PluginContext,
  runtime: RuntimeBinding | undefined,
  clock: () => Date,
  options: ResourceMonitoringOptions = {},
): void {
  const database = ctx.get(tokens.database);
  for (const [operationId, handler] of Object.entries(resourceHandlers({ database, clock }))) ctx.handle(operationId, handler);
  const retentionHours = Number(ctx.config[retentionVariable] ?? 48);
  ctx.every('resource_retention', 3_600_000, () => pruneReadings(database, clock(), retentionHours));
  if (!runtime) return;
  const deps = {
    database,
    events: ctx.get(tokens.events),
    alerts: ctx.get(tokens.alerts),
    logger: ctx.logger,
    adapter: runtime.adapter,
    tenantId: runtime.tenantId,
  };
  ctx.every('resource_snapshots', options.resourceIntervalMs ?? Number(ctx.config[intervalVariable] ?? 10) * 1000, (signal) => collectReadings(deps, signal));
}
