import { coreFragments } from '../contract/core-fragments.ts';
import type { DatabaseService, Tx } from '../db/sql-handles.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { Logger } from '../logging/logger.ts';
import type { DashboardCounters, GraphQLContext, OperationRequest, PluginManifest } from '../plugin-api/index.ts';
import { SummaryCache } from './summary-cache.ts';

export const dashboardPermissions: NonNullable<CoreModule['permissions']> = [{ name: 'dashboard:read', description: 'See the workspace’s dashboard summary' }];

const dashboardPolicies: NonNullable<CoreModule['policies']> = [
  'ops_engineer',
  'automation_operator',
  'integration_admin',
  'data_admin',
  'billing',
  'viewer',
].map((role) => ({ role, permission: 'dashboard:read' }));

/** The platform's own counters: one statement, whatever the number of groups. */
export const coreCounters: DashboardCounters = async (tx: Tx) => {
  const [row] = await tx.query<Record<string, string>>(
    `SELECT
       (SELECT count(*) FROM alert WHERE status = 'firing') AS "alertsFiring",
       (SELECT count(*) FROM alert WHERE status = 'firing' AND severity = 'critical') AS "alertsFiringCritical",
       (SELECT count(*) FROM event_outbox WHERE created_at > now() - interval '24 hours') AS "eventsLast24h",
       (SELECT count(*) FROM core_job_run WHERE state = 'queued') AS "jobsQueued",
       (SELECT count(*) FROM core_job_run WHERE state = 'running') AS "jobsRunning",
       (SELECT count(*) FROM core_job_run WHERE state = 'failed' AND completed_at > now() - interval '24 hours') AS "jobsFailedLast24h"`,
  );
  return Object.fromEntries(Object.entries(row).map(([name, value]) => [name, Number(value)]));
};

/**
 * `GET /api/v1/dashboard/summary`: the core's counters and every loaded plugin's, all started at
 * once (one round of parallel queries, each group in a transaction of the workspace on a
 * connection of its own). Core never names a plugin: the groups come from the manifests. A
 * workspace's summary is counted at most every 10 s (`generatedAt` says when); past that, a request
 * waits a moment for the new count and is otherwise answered from the last one, for up to a minute.
 * The groups loaded are part of the cache key: a license that loads or unloads a plugin changes the
 * summary's groups at once, not 10 s later.
 */
export function dashboardModule(deps: { database: Pick<DatabaseService, 'forTenantStaleReads'>; loaded: () => PluginManifest[]; logger: Logger }): CoreModule {
  type Summary = { generatedAt: string; counters: Record<string, Record<string, number>>; unavailable: string[] };
  const cache = new SummaryCache<Summary>({ freshMs: 10_000, staleMs: 60_000, staleWaitMs: 250, maxEntries: 10_000 });
  const groupsNow = (): [string, DashboardCounters][] => [
    ['core', coreCounters],
    ...deps.loaded().flatMap((m) => (m.dashboardCounters ? [[m.id, m.dashboardCounters] as [string, DashboardCounters]] : [])),
  ];
  const summary = (tenantId: string): Promise<Summary> => {
    const groups = groupsNow();
    return cache.get(`${tenantId} ${groups.map(([owner]) => owner).join(',')}`, () => summarize(tenantId, groups));
  };
  const summarize = async (tenantId: string, groups: [string, DashboardCounters][]): Promise<Summary> => {
    // Counted at most every 10 s and served stale up to a minute anyway: the replica's lag is well within that.
    const db = deps.database.forTenantStaleReads(tenantId);
    const settled = await Promise.allSettled(groups.map(([, count]) => db.transaction((tx) => count(tx))));
    const counters: Record<string, Record<string, number>> = {};
    const unavailable: string[] = [];
    settled.forEach((result, i) => {
      const owner = groups[i][0];
      if (result.status === 'fulfilled') counters[owner] = result.value;
      else {
        unavailable.push(owner);
        deps.logger.warn({ err: result.reason, owner }, 'dashboard counters failed');
      }
    });
    return { generatedAt: new Date().toISOString(), counters, unavailable };
  };
  return {
    id: 'dashboard',
    openapi: coreFragments.dashboard,
    permissions: dashboardPermissions,
    policies: dashboardPolicies,
    sdl: `
      "The workspace's dashboard counters: core's and each plugin's group, as GET /api/v1/dashboard/summary."
      type DashboardSummary { generatedAt: DateTime! counters: JSON! unavailable: [String!]! }
      extend type Query {
        "KPI, event and execution counters of the workspace (needs dashboard:read)."
        dashboardSummary: DashboardSummary!
      }`,
    resolvers: [
      {
        owner: 'core',
        typeName: 'Query',
        fieldName: 'dashboardSummary',
        resolver: async (_parent: unknown, _args: unknown, context: GraphQLContext) => {
          const tenantId = (await context.authorize('dashboard:read')) as string;
          return summary(tenantId);
        },
      },
    ],
    handlers: {
      getDashboardSummary(req: OperationRequest) {
        return summary(req.tenantId as string);
      },
    },
  };
}
