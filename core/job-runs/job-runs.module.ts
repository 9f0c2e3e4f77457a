import { coreFragments } from '../contract/core-fragments.ts';
import type { DatabaseService } from '../db/sql-handles.ts';
import { AppError } from '../errors/app-error.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { GraphQLContext, OperationRequest } from '../plugin-api/index.ts';
import type { JobRunStore } from './job-run-store.ts';

export const jobPermissions: NonNullable<CoreModule['permissions']> = [
  { name: 'jobs:read', description: 'See the workspace’s imports and exports and download their files' },
  { name: 'imports:write', description: 'Import rows into the workspace' },
  { name: 'exports:write', description: 'Export the workspace’s rows to files' },
];

/** Who holds them besides msp_admin (who holds every workspace permission). */
export const jobPolicies: NonNullable<CoreModule['policies']> = [
  { role: 'data_admin', permission: 'jobs:read' },
  { role: 'data_admin', permission: 'imports:write' },
  { role: 'data_admin', permission: 'exports:write' },
  { role: 'ops_engineer', permission: 'jobs:read' },
  { role: 'ops_engineer', permission: 'exports:write' },
  { role: 'integration_admin', permission: 'jobs:read' },
  { role: 'viewer', permission: 'jobs:read' },
];

/** The jobs contract: `GET /api/v1/jobs` (list conventions) and `GET /api/v1/jobs/{id}`. */
export function jobRunsModule(deps: { database: Pick<DatabaseService, 'forTenant'>; runs: JobRunStore }): CoreModule {
  const { runs } = deps;
  return {
    id: 'job-runs',
    openapi: coreFragments.jobRuns,
    permissions: jobPermissions,
    policies: jobPolicies,
    sdl: `
      "An import or export of the workspace, as GET /api/v1/jobs/{id} shows it."
      type JobRun {
        id: ID! type: String! kind: String! format: String! mode: String dryRun: Boolean state: String!
        queuedAt: DateTime! startedAt: DateTime completedAt: DateTime retryCount: Int!
        errorCode: String errorMessage: String artifactUrl: String rows: JSON! createdBy: String
      }
      extend type Query {
        "The workspace's imports and exports, newest first (needs jobs:read)."
        jobs(type: String, kind: String, state: String, limit: Int, offset: Int): [JobRun!]!
        "One import or export, with a fresh link to its file (needs jobs:read)."
        job(id: ID!): JobRun
      }`,
    resolvers: [
      {
        owner: 'core',
        typeName: 'Query',
        fieldName: 'jobs',
        resolver: async (_parent: unknown, args: Record<string, unknown>, context: GraphQLContext) => {
          const tenantId = (await context.authorize('jobs:read')) as string;
          const query = Object.fromEntries(Object.entries({ sortOrder: 'desc', ...args }).filter(([, value]) => value !== undefined && value !== null));
          return (await runs.list.page(deps.database.forTenant(tenantId), query)).data;
        },
      },
      {
        owner: 'core',
        typeName: 'Query',
        fieldName: 'job',
        resolver: async (_parent: unknown, args: { id: string }, context: GraphQLContext) => {
          const tenantId = (await context.authorize('jobs:read')) as string;
          if (!/^[0-9a-f-]{36}$/i.test(args.id)) return null;
          const row = await runs.get(tenantId, args.id);
          return row ? runs.view(row) : null;
        },
      },
    ],
    handlers: {
      async listJobs(req: OperationRequest) {
        // Newest first unless the caller sorts otherwise.
        const query = { sortOrder: 'desc', ...req.query };
        return runs.list.page(deps.database.forTenant(req.tenantId as string), query);
      },
      async getJob(req: OperationRequest<unknown, { id: string }>) {
        const row = await runs.get(req.tenantId as string, req.params.id);
        if (!row) throw new AppError('not_found', `Job ${req.params.id} was not found`);
        return runs.view(row);
      },
    },
  };
}
