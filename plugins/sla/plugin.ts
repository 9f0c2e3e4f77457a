import { definePlugin, serviceHealthToken, tokens, workerModule } from '../../core/plugin-api/index.ts';
import { openExclusionWindowCapability } from './exclusion-windows/exclusion-window-capability.ts';
import { exclusionWindowHandlers } from './exclusion-windows/exclusion-windows.ts';
import { operatorHandlers } from './operator/operator.handlers.ts';
import { pushHandlers } from './operator/push.handlers.ts';
import { readHandlers } from './reads/reads.handlers.ts';
import { runDailyReportJob } from './reports/daily-report.ts';
import { reportHandlers } from './reports/report.handlers.ts';
import { registerResolvers } from './reads/sla.resolvers.ts';
import { slaReads } from './reads/sla-reads.ts';
import { runSnapshot } from './figures/snapshot.job.ts';
import { runWatch } from './alerts/watch.job.ts';
import { slaEvents } from './sla-events.ts';
import { templateHandlers } from './catalog/templates.ts';
import type { SlaDeps } from './sla-deps.ts';
import { serviceImportKind } from './catalog/import-kinds.ts';
import { slaDashboardCounters } from './reads/dashboard-counters.ts';
import { taggedHealth } from './figures/tagged-health.ts';

/**
 * SLA plugin (seeds 000/001): the service catalog fed by operator agents and pushes, SLA groups,
 * exclusion windows, availability by time with snapshots and roll-ups, daily reports, templates.
 */
export default definePlugin({
  id: 'sla',
  version: '1.0.0',
  host: '>=0.1.0 <1.0.0',
  openapi: new URL('./openapi.yaml', import.meta.url),
  graphql: new URL('./schema.graphql', import.meta.url),
  migrations: new URL('./migrations/', import.meta.url),
  // `service:status_changed` is a topic name fixed by the public contract (seed 000).
  topicNamespaces: ['service'],
  permissions: [
    { name: 'sla:read', description: 'Read the service catalog, SLA figures, incidents and reports' },
    { name: 'sla:report', description: 'Push agent syncs, health, storage and backup reports; open and close exclusion windows; generate reports' },
    { name: 'sla.templates:read', description: 'Export the service catalog and SLA definitions as YAML' },
    { name: 'sla.templates:write', description: 'Import the service catalog and SLA definitions from YAML' },
  ],
  policies: [
    ...['viewer', 'ops_engineer', 'client_portal', 'data_admin'].map((role) => ({ role, permission: 'sla:read' })),
    ...['endpoint_agent', 'ops_engineer', 'automation_operator'].map((role) => ({ role, permission: 'sla:report' })),
    ...['ops_engineer', 'data_admin'].flatMap((role) => [
      { role, permission: 'sla.templates:read' },
      { role, permission: 'sla.templates:write' },
    ]),
  ],
  events: slaEvents,
  importKinds: [serviceImportKind],
  dashboardCounters: slaDashboardCounters,
  console: {
    pages: [
      { path: 'sla/services', title: 'Services', navGroup: 'SLA', permission: 'sla:read', list: '/api/v1/sla/services' },
      { path: 'sla/groups', title: 'SLA groups', navGroup: 'SLA', permission: 'sla:read', list: '/api/v1/sla/groups' },
      { path: 'sla/reports', title: 'Daily reports', navGroup: 'SLA', permission: 'sla:read', list: '/api/v1/sla/reports' },
      {
        path: 'sla/exclusion-windows',
        title: 'Exclusion windows',
        navGroup: 'SLA',
        permission: 'sla:read',
        list: '/api/v1/sla/exclusion-windows',
        columns: ['service', 'nodeId', 'reason', 'startedAt', 'expectedEndAt', 'endedAt'],
      },
    ],
  },
  jobs: [
    { name: 'snapshot', schedule: '*/5 * * * *', payloadSchema: { type: 'object', properties: { at: { type: 'string', format: 'date-time' } } } },
    { name: 'watch', schedule: '* * * * *' },
    {
      name: 'daily_report',
      schedule: '5 0 * * *',
      payloadSchema: { type: 'object', properties: { date: { type: 'string', format: 'date' } } },
    },
  ],
  workerTasks: [{ name: 'availability', module: workerModule(import.meta.url, './figures/availability.worker') }],
  init(ctx) {
    const deps: SlaDeps = { db: ctx.get(tokens.database), events: ctx.get(tokens.events), alerts: ctx.get(tokens.alerts), logger: ctx.logger };
    const reads = slaReads(deps);
    const windows = exclusionWindowHandlers(deps);
    const handlers = {
      ...operatorHandlers(deps),
      ...pushHandlers(deps),
      ...windows,
      ...readHandlers(reads),
      ...reportHandlers(deps),
      ...templateHandlers(deps, ctx.get(tokens.validator), ctx.get(tokens.templateSections)),
    };
    for (const [operationId, handler] of Object.entries(handlers)) ctx.handle(operationId, handler);
    // Workflows and agents open maintenance windows the way operators do.
    ctx.get(tokens.capabilities).register(openExclusionWindowCapability(windows));
    registerResolvers(ctx, reads, deps.events);
    // Figures of tagged services for other plugins (the client portal's service health).
    ctx.provide(serviceHealthToken, taggedHealth);
    const workers = ctx.get(tokens.workers);
    ctx.job<{ at?: string }>('snapshot', async (payload) => {
      await runSnapshot({ ...deps, workers }, payload.at ? new Date(payload.at) : new Date());
    });
    ctx.job('watch', async () => {
      await runWatch(deps);
    });
    ctx.job<{ date?: string }>('daily_report', async (payload) => {
      await runDailyReportJob(deps, payload ?? {});
    });
  },
});
