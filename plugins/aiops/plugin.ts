import { definePlugin, openapiFiles, type OperationRequest, type PluginManifest, tokens } from '../../core/plugin-api/index.ts';
import { getEdgeAgentPolicy, getEdgeEnrollment, getEdgeIngestStatus, rotateEdgeEnrollment } from './edge-agent/edge-agent.handlers.ts';
import { ingestTelemetry, listIngestBatches } from './ingest/ingest.handlers.ts';
import { PointPartitions } from './ingest/point-partitions.ts';
import { PointStore } from './ingest/point-store.ts';
import { rollUpMonthlyUsage } from './ingest/usage-rollup.ts';

export interface AiopsOptions {
  /** The time source of ingest and the watchdog (tests move it; default: the system clock). */
  clock?: () => Date;
}

type TenantRequest = OperationRequest<any, any, any> & { tenantId: string };

/**
 * AIOps (seeds 002/003): telemetry ingest from edge agents and Prometheus, the anomaly watchdog on
 * the worker pool, RCA correlations, the Alertmanager receiver and the incident memory.
 */
export function createAiopsPlugin(options: AiopsOptions = {}): PluginManifest {
  return definePlugin({
    id: 'aiops',
    version: '0.1.0',
    host: '>=0.1.0 <1.0.0',
    migrations: new URL('./migrations/', import.meta.url),
    openapi: openapiFiles(new URL('./ingest/ingest.openapi.yaml', import.meta.url), new URL('./edge-agent/edge-agent.openapi.yaml', import.meta.url)),
    permissions: [
      { name: 'aiops.telemetry:write', description: 'Send telemetry batches (edge agents, integrations, Prometheus remote-write)' },
      { name: 'aiops.telemetry:read', description: 'See ingest batches' },
      { name: 'aiops.edge:read', description: 'See the edge-agent enrollment state, policy and ingest status' },
      { name: 'aiops.edge:manage', description: 'Rotate the edge-agent enrollment secret' },
    ],
    policies: [
      ...['endpoint_agent', 'ops_engineer', 'integration_admin'].map((role) => ({ role, permission: 'aiops.telemetry:write' })),
      ...['viewer', 'ops_engineer', 'integration_admin', 'data_admin', 'endpoint_agent'].map((role) => ({ role, permission: 'aiops.telemetry:read' })),
      ...['endpoint_agent', 'ops_engineer', 'integration_admin'].map((role) => ({ role, permission: 'aiops.edge:read' })),
      { role: 'integration_admin', permission: 'aiops.edge:manage' },
    ],
    events: [
      {
        topic: 'aiops.batch_ingested',
        description: 'A telemetry batch was stored (counts only, not its points).',
        payloadSchema: { type: 'object', required: ['batch_id', 'points', 'events'] },
      },
    ],
    config: {
      ITOPS_AIOPS_ALERTMANAGER_PORT: {
        type: 'integer',
        description: 'Port of the second listener for Alertmanager webhooks (POST /api/v1/alerts/webhook); 0 turns it off (the main port still takes them).',
        default: 9093,
        minimum: 0,
        maximum: 65535,
      },
      ITOPS_AIOPS_RETENTION_DAYS: {
        type: 'integer',
        description: 'Days telemetry points are kept (whole daily partitions are dropped).',
        default: 30,
        minimum: 1,
        maximum: 3650,
      },
    },
    jobs: [{ name: 'retention', schedule: '23 * * * *', expireInSeconds: 3600 }],
    init(ctx) {
      const database = ctx.get(tokens.database);
      const events = ctx.get(tokens.events);
      const clock = options.clock ?? (() => new Date());
      const retentionDays = Number(ctx.config.ITOPS_AIOPS_RETENTION_DAYS ?? 30);

      const partitions = new PointPartitions(database.platform);
      const store = new PointStore(database, events, partitions);
      const usage = ctx.every('usage_rollup', 5000, () => rollUpMonthlyUsage(database.platform, clock()));

      const ingest = { database, store, retentionDays, clock, onStored: () => usage.wake() };
      const edge = { database, clock, retentionDays };
      const handlers: Record<string, (req: TenantRequest) => unknown> = {
        ingestTelemetry: (req) => ingestTelemetry(ingest, req),
        listIngestBatches: (req) => listIngestBatches(ingest, req),
        getEdgeEnrollment: (req) => getEdgeEnrollment(edge, req),
        rotateEdgeEnrollment: (req) => rotateEdgeEnrollment(edge, req),
        getEdgeAgentPolicy: (req) => getEdgeAgentPolicy(edge, req),
        getEdgeIngestStatus: (req) => getEdgeIngestStatus(edge, req),
      };
      for (const [operationId, handler] of Object.entries(handlers)) ctx.handle(operationId, (req) => handler(req as TenantRequest));

      ctx.job('retention', async () => {
        const dropped = await partitions.dropOlderThan(clock(), retentionDays);
        if (dropped.length) ctx.logger.info({ dropped }, 'dropped telemetry partitions past retention');
      });
    },
  });
}

export default createAiopsPlugin();
