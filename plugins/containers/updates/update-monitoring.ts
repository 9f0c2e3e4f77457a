import { type EventDeclaration, type PluginContext, type PluginManifest, tokens } from '../../../core/plugin-api/index.ts';
import type { RuntimeBinding } from '../containers/containers.handlers.ts';
import { RegistryClient } from './registry-client.ts';
import { runScan } from './update-scan.ts';
import { updateHandlers } from './updates.handlers.ts';

const readers = ['viewer', 'ops_engineer', 'automation_operator', 'integration_admin', 'data_admin'];
const insecureVariable = 'ITOPS_CONTAINERS_INSECURE_REGISTRIES';

const container = { containerId: { type: 'string', format: 'uuid' }, name: { type: 'string' }, image: { type: 'string' } };
const scan = { scanId: { type: 'string', format: 'uuid' }, at: { type: 'string', format: 'date-time' } };

/** Update event topics (seed 004). */
export const updateEvents: EventDeclaration[] = [
  {
    topic: 'update.scan_started',
    description: 'An image update scan started.',
    payloadSchema: { type: 'object', required: ['scanId', 'at'], properties: scan },
  },
  {
    topic: 'update.scan_completed',
    description: 'An image update scan finished.',
    payloadSchema: {
      type: 'object',
      required: ['scanId', 'containersChecked', 'updatesFound', 'at'],
      properties: { ...scan, containersChecked: { type: 'integer' }, updatesFound: { type: 'integer' } },
    },
  },
  {
    topic: 'update.detected',
    description: 'A scan found an update that the previous scan did not.',
    payloadSchema: {
      type: 'object',
      required: ['containerId', 'name', 'image', 'latestTag', 'updateType'],
      properties: { ...container, latestTag: { type: ['string', 'null'] }, updateType: { type: 'string' }, scanId: scan.scanId },
    },
  },
  {
    topic: 'update.pinned',
    description: 'A container’s version was pinned.',
    payloadSchema: { type: 'object', required: ['containerId', 'name', 'image'], properties: container },
  },
  {
    topic: 'update.unpinned',
    description: 'A container’s version was unpinned.',
    payloadSchema: { type: 'object', required: ['containerId', 'name', 'image'], properties: container },
  },
];

/** What image updates add to the containers plugin's manifest. */
export const updateMonitoringManifest = {
  topicNamespaces: ['update'],
  permissions: [
    { name: 'containers.updates:read', description: 'See image updates, scans, pins and exclusions' },
    { name: 'containers.updates:write', description: 'Start scans, pin and unpin versions, manage exclusions' },
  ],
  policies: [...readers.map((role) => ({ role, permission: 'containers.updates:read' })), { role: 'ops_engineer', permission: 'containers.updates:write' }],
  events: updateEvents,
  jobs: [
    {
      name: 'update_scan',
      payloadSchema: {
        type: 'object',
        required: ['tenantId', 'scanId'],
        properties: { tenantId: { type: 'string' }, scanId: { type: 'string', format: 'uuid' } },
      },
      retry: { limit: 0 },
      expireInSeconds: 1800,
    },
    // Every workspace with containers gets a scan a day, besides those asked for.
    { name: 'update_scan_daily', schedule: '17 4 * * *', expireInSeconds: 600 },
  ],
  config: {
    [insecureVariable]: {
      type: 'string',
      default: '',
      description: 'Registries (host:port, comma-separated) reached over plain HTTP; localhost ones always are.',
    },
  } satisfies PluginManifest['config'],
};

export function initUpdateMonitoring(ctx: PluginContext, runtime: RuntimeBinding | undefined, clock: () => Date): void {
  const database = ctx.get(tokens.database);
  const events = ctx.get(tokens.events);
  const insecure = new Set(
    String(ctx.config[insecureVariable] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const registry = new RegistryClient(ctx.get(tokens.outbound), {
    insecure: (host) => insecure.has(host) || /^(localhost|127\.0\.0\.1)(:\d+)?$/.test(host),
  });
  for (const [operationId, handler] of Object.entries(updateHandlers({ database, events, jobs: ctx.get(tokens.jobs), clock })))
    ctx.handle(operationId, handler);
  const jobs = ctx.get(tokens.jobs);
  ctx.job('update_scan_daily', async () => {
    // A sweep across workspaces (the platform handle); one open scan per workspace at most.
    const queued = await database.platform.query<{ id: string; tenant_id: string }>(
      `INSERT INTO update_scan (tenant_id, requested_at)
       SELECT DISTINCT tenant_id, ?::timestamptz FROM container WHERE state <> 'removed'
       ON CONFLICT (tenant_id) WHERE status IN ('queued', 'running') DO NOTHING RETURNING id, tenant_id`,
      [clock().toISOString()],
    );
    for (const scan of queued) await jobs.send('containers.update_scan', { tenantId: scan.tenant_id, scanId: scan.id }, { singletonKey: scan.id });
  });
  ctx.job<{ tenantId: string; scanId: string }>('update_scan', (payload) =>
    runScan(
      { database, events, logger: ctx.logger, registry, clock, runtimeFor: (tenantId) => (runtime?.tenantId === tenantId ? runtime.adapter : undefined) },
      payload.tenantId,
      payload.scanId,
    ),
  );
}
