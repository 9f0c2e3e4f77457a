import type { ArtifactStore } from '../artifacts/artifact-store.ts';
import type { DatabaseService } from '../db/sql-handles.ts';
import type { JobRunRow, JobRunStore, RowCounts } from '../job-runs/job-run-store.ts';
import type { JobOutcomes } from '../job-runs/job-outcomes.ts';
import type { JobContext } from '../plugin-api/index.ts';
import { type ParsedRow, writeBatch } from './batch-writer.ts';
import { ErrorReport } from './error-report.ts';
import type { ImportKinds } from './import-kinds.ts';
import { rowsOf, UnreadableFileError } from './row-sources.ts';
import { rowValidator } from './row-validation.ts';
import type { UploadStore } from './upload-store.ts';

/**
 * Rows per upsert call (and per transaction of a best-effort import): small enough that a
 * workspace's import holds locks and a connection only briefly between batches, large enough that
 * a million rows take a few thousand round trips.
 */
export const importBatchSize = 500;
/** How often the job's row counts are brought up to date while it runs. */
const progressEveryRows = 25_000;

/** Thrown inside the import's transaction to roll it back on purpose (dry run, rejected rows). */
class RollBack extends Error {}

export interface ImportDeps {
  database: Pick<DatabaseService, 'forTenant'>;
  runs: JobRunStore;
  outcomes: JobOutcomes;
  artifacts: ArtifactStore;
  uploads: UploadStore;
  kinds: ImportKinds;
}

/**
 * One import job: streams the uploaded file through the kind's row schema into the kind's upsert.
 * All-or-nothing (and every dry run) is one transaction of the workspace, rolled back when any row
 * is rejected (or always, for a dry run); best-effort commits batch by batch and skips bad rows.
 * Every rejected row is a line of the error report.
 */
export async function runImport(deps: ImportDeps, payload: { tenantId: string; jobRunId: string }, job: JobContext): Promise<void> {
  const { runs, outcomes } = deps;
  const run = await runs.get(payload.tenantId, payload.jobRunId);
  if (!run || run.state === 'completed' || run.state === 'failed') return;
  await runs.markRunning(run.tenant_id, run.id, job.attempt);
  const counts: RowCounts = { read: 0, written: 0, rejected: 0 };
  const entry = deps.kinds.find(run.kind);
  if (!entry || !run.input_file) {
    const error = entry
      ? { code: 'internal', message: 'The uploaded file is no longer there' }
      : { code: 'unknown_kind', message: `No loaded plugin offers the kind ${run.kind} now` };
    await outcomes.finish(run, { counts, error });
    if (run.input_file) await deps.uploads.remove(run.input_file);
    return;
  }
  const inputFile = run.input_file;
  const report = new ErrorReport(deps.artifacts, run.tenant_id);
  try {
    const outcome = await importRows(deps, run, entry.kind, inputFile, report, counts);
    await outcomes.finish(run, { counts, report, error: outcome });
    await deps.uploads.remove(inputFile);
  } catch (error) {
    if (error instanceof UnreadableFileError) {
      await outcomes.finish(run, { counts, report, error: { code: error.code, message: error.message } });
      await deps.uploads.remove(inputFile);
      return;
    }
    await report.discard();
    // Kept for the retry; the last attempt's failure is the job's.
    if (await outcomes.retryOrFail(run, job, counts, error)) await deps.uploads.remove(inputFile);
    throw error;
  }
}

async function importRows(
  deps: ImportDeps,
  run: JobRunRow,
  kind: NonNullable<ReturnType<ImportKinds['find']>>['kind'],
  inputFile: string,
  report: ErrorReport,
  counts: RowCounts,
): Promise<{ code: string; message: string } | undefined> {
  const db = deps.database.forTenant(run.tenant_id);
  const validate = rowValidator(kind.rowSchema, run.format);
  const reject = async (row: number, field: string, reason: string) => {
    await report.add(row, field, reason);
  };
  let rejectedRows = 0;
  async function* batches(): AsyncGenerator<ParsedRow[]> {
    let batch: ParsedRow[] = [];
    for await (const item of rowsOf(run.format, deps.uploads.open(inputFile))) {
      counts.read += 1;
      if ('error' in item) {
        rejectedRows += 1;
        await reject(item.row, '', item.error);
      } else {
        const problems = validate(item.value);
        if (problems.length > 0) {
          rejectedRows += 1;
          for (const problem of problems) await reject(item.row, problem.field, problem.reason);
        } else batch.push(item);
      }
      if (batch.length >= importBatchSize) {
        yield batch;
        batch = [];
      }
      if (counts.read % progressEveryRows === 0) await deps.runs.progress(run.tenant_id, run.id, { ...counts, rejected: rejectedRows });
    }
    if (batch.length > 0) yield batch;
  }
  // Rows rejected by their upsert are counted once each too.
  const rejectAtWrite = async (row: number, problems: { field: string; reason: string }[]) => {
    rejectedRows += 1;
    for (const problem of problems) await reject(row, problem.field, problem.reason);
  };

  if (run.mode === 'best_effort' && !run.dry_run) {
    try {
      for await (const batch of batches()) counts.written += await db.transaction((tx) => writeBatch(tx, kind, batch, rejectAtWrite));
    } finally {
      counts.rejected = rejectedRows;
    }
    return undefined;
  }
  const allOrNothing = run.mode === 'all_or_nothing';
  try {
    await db.transaction(async (tx) => {
      for await (const batch of batches()) {
        // Nothing will be kept once a row is rejected: the rest is only checked, for the report.
        if (allOrNothing && rejectedRows > 0) continue;
        counts.written += await writeBatch(tx, kind, batch, rejectAtWrite);
      }
      if (run.dry_run || (allOrNothing && rejectedRows > 0)) throw new RollBack();
    });
  } catch (error) {
    // Rolled back, on purpose or not: nothing of this import was kept.
    counts.written = 0;
    counts.rejected = rejectedRows;
    if (!(error instanceof RollBack)) throw error;
  }
  counts.rejected = rejectedRows;
  if (allOrNothing && rejectedRows > 0 && !run.dry_run) {
    return { code: 'rows_rejected', message: `${rejectedRows} of ${counts.read} rows were rejected, so nothing was imported (see the error report)` };
  }
  return undefined;
}
