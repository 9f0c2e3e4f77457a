import { definePlugin, openapiFiles, type OperationRequest, type PluginManifest, tokens, workerModule } from '../../core/plugin-api/index.ts';
import type { Server } from 'node:http';
import { startAlertmanagerListener } from './alertmanager/alertmanager-listener.ts';
import { receiveAlertmanagerWebhook } from './alertmanager/alertmanager.handlers.ts';
import { getAlertmanagerReceiver, type ReceiverAuth, rotateAlertmanagerReceiver } from './alertmanager/receiver-credential.ts';
import { getAnomaly, listAnomalies } from './anomalies/anomalies.handlers.ts';
import { findSimilarResolutions, submitResolution } from './memory/memory.handlers.ts';
import { getRcaCorrelations } from './rca/rca.handlers.ts';
import { getAiopsStatus } from './status/status.handlers.ts';
import { runWatchdogRound } from './watchdog/watchdog-round.ts';
import { getEdgeAgentPolicy, getEdgeEnrollment, getEdgeIngestStatus, rotateEdgeEnrollment } from './edge-agent/edge-agent.handlers.ts';
import { ingestTelemetry, listIngestBatches } from './ingest/ingest.handlers.ts';
import { PointPartitions } from './ingest/point-partitions.ts';
import { PointStore } from './ingest/point-store.ts';
import { pruneTelemetry } from './ingest/retention.ts';
import { rollUpMonthlyUsage } from './ingest/usage-rollup.ts';
import { receiveRemoteWrite } from './remote-write/remote-write.handlers.ts';

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
  const contract = openapiFiles(
    new URL('./ingest/ingest.openapi.yaml', import.meta.url),
    new URL('./edge-agent/edge-agent.openapi.yaml', import.meta.url),
    new URL('./anomalies/anomalies.openapi.yaml', import.meta.url),
    new URL('./memory/memory.openapi.yaml', import.meta.url),
    new URL('./rca/rca.openapi.yaml', import.meta.url),
    new URL('./alertmanager/alertmanager.openapi.yaml', import.meta.url),
    new URL('./remote-write/remote-write.openapi.yaml', import.meta.url),
  ) as { components: { schemas: Record<string, Record<string, unknown>> } };
  return definePlugin({
    id: 'aiops',
    version: '0.1.0',
    host: '>=0.1.0 <1.0.0',
    migrations: new URL('./migrations/', import.meta.url),
    openapi: contract,
    workerTasks: [
      { name: 'score', module: workerModule(import.meta.url, './watchdog/score.worker') },
      { name: 'correlate', module: workerModule(import.meta.url, './rca/correlate.worker') },
    ],
    console: {
      pages: [
        {
          path: 'anomalies',
          title: 'Anomalies',
          navGroup: 'AIOps',
          permission: 'aiops:read',
          list: '/api/v1/anomalies',
          columns: ['service_id', 'metric_name', 'anomaly_score', 'detected_at', 'resolved'],
        },
      ],
    },
    permissions: [
      { name: 'aiops.telemetry:write', description: 'Send telemetry batches (edge agents, integrations, Prometheus remote-write)' },
      { name: 'aiops.telemetry:read', description: 'See ingest batches' },
      { name: 'aiops.edge:read', description: 'See the edge-agent enrollment state, policy and ingest status' },
      { name: 'aiops.edge:manage', description: 'Rotate the edge-agent enrollment secret' },
      { name: 'aiops:read', description: 'See anomalies, RCA correlations, the incident memory and the engine status' },
      { name: 'aiops.memory:write', description: 'Submit incident resolutions to the incident memory' },
      { name: 'aiops.alertmanager:read', description: "See the Alertmanager receiver's credential state (its prefix only)" },
      { name: 'aiops.alertmanager:manage', description: "Rotate the workspace's Alertmanager receiver credential" },
    ],
    policies: [
      ...['endpoint_agent', 'ops_engineer', 'integration_admin'].map((role) => ({ role, permission: 'aiops.telemetry:write' })),
      ...['viewer', 'ops_engineer', 'integration_admin', 'data_admin', 'endpoint_agent'].map((role) => ({ role, permission: 'aiops.telemetry:read' })),
      ...['endpoint_agent', 'ops_engineer', 'integration_admin'].map((role) => ({ role, permission: 'aiops.edge:read' })),
      { role: 'integration_admin', permission: 'aiops.edge:manage' },
      ...['ops_engineer', 'integration_admin'].map((role) => ({ role, permission: 'aiops.alertmanager:read' })),
      { role: 'integration_admin', permission: 'aiops.alertmanager:manage' },
      ...['viewer', 'ops_engineer', 'automation_operator', 'integration_admin', 'data_admin'].map((role) => ({ role, permission: 'aiops:read' })),
      ...['ops_engineer', 'integration_admin', 'automation_operator'].map((role) => ({ role, permission: 'aiops.memory:write' })),
    ],
    events: [
      {
        topic: 'aiops.batch_ingested',
        description: 'A telemetry batch was stored (counts only, not its points).',
        payloadSchema: { type: 'object', required: ['batch_id', 'points', 'events'] },
      },
      {
        topic: 'aiops.anomaly_detected',
        description: 'The watchdog or Alertmanager opened an anomaly (seed 002 fields).',
        payloadSchema: { type: 'object', required: ['anomaly_id', 'service_id', 'metric_name', 'anomaly_score'] },
      },
      {
        topic: 'aiops.resolution_stored',
        description: 'A human resolution joined the incident memory.',
        payloadSchema: { type: 'object', required: ['knowledge_base_id', 'incident_id', 'service_id'] },
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
      ITOPS_AIOPS_ANOMALY_THRESHOLD: {
        type: 'number',
        description:
          'Anomaly score (0–1) from which the watchdog opens an anomaly (its detector starts its quiet period at 0.8; the NAB-optimal threshold is about 0.75).',
        default: 0.8,
        minimum: 0,
        maximum: 1,
      },
      ITOPS_AIOPS_WATCHDOG_INTERVAL_MS: {
        type: 'integer',
        description: 'How often the watchdog scores newly ingested points.',
        default: 2000,
        minimum: 50,
        maximum: 600000,
      },
      ITOPS_AIOPS_LLM_URL: {
        type: 'string',
        description: 'OpenAI-compatible endpoint for incident summaries; unset: the llm component reports disabled.',
        maxLength: 2000,
      },
      ITOPS_AIOPS_ALERTMANAGER_AUTH: {
        type: 'string',
        enum: ['workspace', 'none'],
        description:
          "How the Alertmanager receiver authenticates: `workspace` admits a delivery only with the named workspace's receiver credential (POST /api/v1/alertmanager/receiver/rotate; Bearer or basic-auth password); `none` is seed 002's open receiver, for networks that restrict it themselves.",
        default: 'workspace',
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

      const workers = ctx.get(tokens.workers);
      const alerts = ctx.get(tokens.alerts);
      let trigrams = false;
      const trigramCheck = database.platform
        .query<{ found: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') AS found")
        .then(([row]) => {
          trigrams = row.found;
        });
      ctx.onUnload(() => trigramCheck.catch(() => undefined));
      const threshold = Number(ctx.config.ITOPS_AIOPS_ANOMALY_THRESHOLD ?? 0.8);
      const watchdog = ctx.every('watchdog', Number(ctx.config.ITOPS_AIOPS_WATCHDOG_INTERVAL_MS ?? 2000), async () => {
        // Rounds until the queue of unscored batches is empty.
        for (let i = 0; i < 20; i++) {
          const round = await runWatchdogRound({ database, events, alerts, workers, threshold });
          if (round.batches === 0) break;
        }
      });
      ingest.onStored = () => {
        usage.wake();
        watchdog.wake();
      };
      const auth: ReceiverAuth = ctx.config.ITOPS_AIOPS_ALERTMANAGER_AUTH === 'none' ? 'none' : 'workspace';
      if (auth === 'none')
        ctx.logger.warn('The Alertmanager receiver takes deliveries for any workspace without a credential (ITOPS_AIOPS_ALERTMANAGER_AUTH=none)');
      const receiver = { database, events, alerts, auth };
      const credentials = { database, clock, auth };
      ctx.handle('receiveRemoteWrite', (req) => receiveRemoteWrite(ingest, req as never));
      ctx.handle('receiveAlertmanagerWebhook', (req) => receiveAlertmanagerWebhook(receiver, req as never));
      ctx.handle('getAlertmanagerReceiver', (req) => getAlertmanagerReceiver(credentials, req as TenantRequest));
      ctx.handle('rotateAlertmanagerReceiver', (req) => rotateAlertmanagerReceiver(credentials, req as TenantRequest));
      const alertmanagerPort = Number(ctx.config.ITOPS_AIOPS_ALERTMANAGER_PORT ?? 9093);
      if (alertmanagerPort > 0) {
        // A port already taken (a second node on one machine, a real Alertmanager) leaves the main port's route working.
        let listener: Server | undefined;
        const started = startAlertmanagerListener({
          port: alertmanagerPort,
          deps: receiver,
          validator: ctx.get(tokens.validator),
          schema: contract.components.schemas.AlertmanagerWebhook,
          logger: ctx.logger,
        })
          .then((server) => {
            listener = server;
            ctx.logger.info({ port: alertmanagerPort }, 'Alertmanager receiver listening');
          })
          .catch((error) =>
            ctx.logger.warn({ err: error, port: alertmanagerPort }, 'Alertmanager receiver port unavailable; the main port still takes webhooks'),
          );
        ctx.onUnload(async () => {
          await started;
          await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
        });
      }
      const reads = { database, trigrams: () => trigrams };
      const more: Record<string, (req: TenantRequest) => unknown> = {
        listAnomalies: (req) => listAnomalies(reads, req),
        getAnomaly: (req) => getAnomaly(reads, req),
        submitResolution: (req) => submitResolution({ ...reads, events }, req),
        findSimilarResolutions: (req) => findSimilarResolutions({ ...reads, events }, req),
        getRcaCorrelations: (req) => getRcaCorrelations({ database, workers, clock }, req),
        getAiopsStatus: (req) =>
          getAiopsStatus(
            {
              database,
              version: '0.1.0',
              watchdogRunning: ctx.get(tokens.config).jobsEnabled,
              trigrams: () => trigrams,
              llmUrl: ctx.config.ITOPS_AIOPS_LLM_URL as string | undefined,
              clock,
            },
            req,
          ),
      };
      for (const [operationId, handler] of Object.entries(more)) ctx.handle(operationId, (req) => handler(req as TenantRequest));

      ctx.job('retention', async () => {
        const dropped = await pruneTelemetry(partitions, database.platform, clock(), retentionDays);
        if (dropped.length) ctx.logger.info({ dropped }, 'dropped telemetry partitions past retention');
      });
    },
  });
}

export default createAiopsPlugin();
