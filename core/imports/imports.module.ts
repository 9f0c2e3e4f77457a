import { coreFragments } from '../contract/core-fragments.ts';
import type { DatabaseService } from '../db/sql-handles.ts';
import { AppError } from '../errors/app-error.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { DataFormat, ImportMode, JobRunStore } from '../job-runs/job-run-store.ts';
import type { JobOutcomes } from '../job-runs/job-outcomes.ts';
import type { OperationRequest, Principal } from '../plugin-api/index.ts';
import { ImportKinds } from './import-kinds.ts';
import type { UploadStore } from './upload-store.ts';

export const importQueue = 'core.import-run';

const formatsByMediaType: Record<string, DataFormat> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/yaml': 'yaml',
  'application/x-yaml': 'yaml',
  'text/yaml': 'yaml',
};

function formatOf(contentType: string | string[] | undefined): DataFormat | undefined {
  const media = String(contentType ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  return formatsByMediaType[media];
}

export const createdByOf = (principal: Principal | null) => (principal ? (principal.name ?? `${principal.kind}:${principal.id}`) : null);

/** The kind a request names, or a 400 listing the kinds there are. */
export function kindNamed(kinds: ImportKinds, name: string, where: string) {
  const entry = kinds.find(name);
  if (entry) return entry;
  const known = kinds
    .all()
    .map((k) => k.kind.name)
    .sort();
  throw new AppError('validation_failed', `There is no importable kind ${name}`, {
    details: [{ path: where, message: known.length > 0 ? `must be one of: ${known.join(', ')}` : 'no loaded plugin offers a kind' }],
  });
}

type ImportQuery = { kind: string; format?: DataFormat; mode?: ImportMode; dryRun?: boolean };

/** `POST /api/v1/imports`: the body to disk, the job's row, then the pg-boss job (grouped by workspace). */
export function importsModule(deps: {
  database: Pick<DatabaseService, 'forTenant'>;
  jobs: Pick<JobService, 'send'>;
  runs: JobRunStore;
  outcomes: JobOutcomes;
  uploads: UploadStore;
  kinds: ImportKinds;
}): CoreModule {
  const { runs, uploads, kinds } = deps;
  return {
    id: 'imports',
    openapi: coreFragments.imports,
    handlers: {
      async createImport(req: OperationRequest<unknown, Record<string, string>, ImportQuery>) {
        const tenantId = req.tenantId as string;
        kindNamed(kinds, req.query.kind, '/query/kind');
        const format = req.query.format ?? formatOf(req.headers['content-type']);
        if (!format) {
          throw new AppError('validation_failed', 'The file’s format is not known', {
            details: [{ path: '/query/format', message: `give format, or a Content-Type of ${Object.keys(formatsByMediaType).join(', ')}` }],
          });
        }
        if (!req.bodyStream) throw new AppError('bad_request', 'The file is missing: send it as the request body');
        const upload = await uploads.save(tenantId, req.bodyStream);
        if (upload.bytes === 0) {
          await uploads.remove(upload.key);
          throw new AppError('validation_failed', 'The file is empty', { details: [{ path: '/requestBody', message: 'must not be empty' }] });
        }
        let row: Awaited<ReturnType<JobRunStore['create']>>;
        try {
          row = await deps.database.forTenant(tenantId).transaction((tx) =>
            runs.create(tx, {
              type: 'import',
              kind: req.query.kind,
              format,
              mode: req.query.mode ?? 'all_or_nothing',
              dryRun: req.query.dryRun ?? false,
              inputFile: upload.key,
              createdBy: createdByOf(req.principal) ?? undefined,
            }),
          );
        } catch (error) {
          await uploads.remove(upload.key);
          throw error;
        }
        await queueOrFail(deps, row, importQueue, () => uploads.remove(upload.key));
        return { status: 202, headers: { Location: `/api/v1/jobs/${row.id}` }, body: runs.view(row) };
      },
      listImportKinds() {
        return {
          data: kinds.all().map(({ owner, kind }) => ({
            name: kind.name,
            plugin: owner,
            description: kind.description,
            columns: ImportKinds.columns(kind),
            rowSchema: kind.rowSchema,
          })),
        };
      },
    },
  };
}

/** Queues the job; a row whose job could not be queued is marked failed, so no job waits forever. */
export async function queueOrFail(
  deps: { jobs: Pick<JobService, 'send'>; outcomes: JobOutcomes },
  row: Awaited<ReturnType<JobRunStore['create']>>,
  queue: string,
  cleanUp: () => Promise<void> = async () => {},
): Promise<void> {
  try {
    await deps.jobs.send(queue, { tenantId: row.tenant_id, jobRunId: row.id }, { group: row.tenant_id });
  } catch (error) {
    await deps.outcomes.finish(row, { counts: { read: 0, written: 0, rejected: 0 }, error: { code: 'internal', message: 'The job could not be queued' } });
    await cleanUp();
    throw error;
  }
}
