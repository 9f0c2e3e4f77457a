import { coreFragments } from '../contract/core-fragments.ts';
import type { DatabaseService } from '../db/sql-handles.ts';
import { AppError } from '../errors/app-error.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { OperationRequest } from '../plugin-api/index.ts';
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
