import type { EventsService, GraphQLContext, PluginContext } from '../../../core/plugin-api/index.ts';
import type { SlaReads } from './sla-reads.ts';

/** GraphQL over the same reads as REST, and the seed's three live events as subscriptions. */
export function registerResolvers(ctx: PluginContext, reads: SlaReads, events: EventsService): void {
  const tenant = async (context: GraphQLContext) => (await context.authorize('sla:read')) as string;
  ctx.resolve('Query', 'slaGroups', async (_p, _a, context) => reads.groups(await tenant(context)));
  ctx.resolve('Query', 'slaSnapshotTrend', async (_p, a: { serviceId: string; hoursBack?: number }, context) =>
    reads.snapshotTrend(await tenant(context), a.serviceId, a.hoursBack ?? 1),
  );
  ctx.resolve(
    'Query',
    'slaTrendData',
    async (_p, a: { filter?: { periodType?: string; monthsBack?: number; serviceId?: string; slaGroup?: string } }, context) =>
      reads.trendData(await tenant(context), a.filter ?? {}),
  );
  ctx.resolve('Query', 'slaDashboardStats', async (_p, _a, context) => reads.dashboardStats(await tenant(context)));
  ctx.resolve('SlaService', 'serviceName', (service: { name: string }) => service.name);
  for (const [field, topic] of [
    ['serviceStatusChanged', 'service:status_changed'],
    ['slaIncident', 'sla:incident'],
    ['slaAlert', 'sla:alert'],
  ] as const) {
    ctx.resolve('Subscription', field, {
      subscribe: async (_p, _a, context) => events.iterate({ tenantId: await tenant(context), topics: new Set([topic]) }),
      resolve: (event: unknown) => event,
    });
  }
}
