import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ArtifactStore } from '../artifacts/artifact-store.ts';
import type { DatabaseService, Tx } from '../db/sql-handles.ts';
import { ImportKinds } from '../imports/import-kinds.ts';
import type { JobOutcomes } from '../job-runs/job-outcomes.ts';
import type { JobRunStore, RowCounts } from '../job-runs/job-run-store.ts';
import type { JobContext } from '../plugin-api/index.ts';
import { contentTypes, rowWriter } from './row-writers.ts';

export interface ExportDeps {
  database: Pick<DatabaseService, 'forTenant'>;
  runs: JobRunStore;
  outcomes: JobOutcomes;
  artifacts: ArtifactStore;
  kinds: ImportKinds;
}

/**
 * One export job: the kind's rows, read page by page in one transaction of the workspace (one
 * consistent snapshot), streamed through the format's writer into a file of the artifact store;
 * backpressure from the disk paces the reads, so memory stays flat whatever the row count.
 */
export async function runExport(deps: ExportDeps, payload: { tenantId: string; jobRunId: string }, job: JobContext): Promise<void> {
  const { runs, outcomes, artifacts } = deps;
  const run = await runs.get(payload.tenantId, payload.jobRunId);
  if (!run || run.state === 'completed' || run.state === 'failed') return;
  await runs.markRunning(run.tenant_id, run.id, job.attempt);
  const counts: RowCounts = { read: 0, written: 0, rejected: 0 };
  const entry = deps.kinds.find(run.kind);
  if (!entry) {
    await outcomes.finish(run, { counts, error: { code: 'unknown_kind', message: `No loaded plugin offers the kind ${run.kind} now` } });
    return;
  }
  const { kind } = entry;
  const file = await artifacts.newFile(run.tenant_id);
  try {
    await deps.database.forTenant(run.tenant_id).transaction(async (tx) => {
      async function* rows() {
        for await (const page of kind.read(tx)) {
          for (const row of page) {
            counts.read += 1;
            counts.written += 1;
            yield row;
          }
        }
      }
      await pipeline(Readable.from(rows(), { highWaterMark: 1000 }), rowWriter(run.format, ImportKinds.columns(kind)), createWriteStream(file.absolutePath));
    });
    const recorded = {
      close: async (tx: Tx, jobId: string) => {
        await artifacts.record(tx, file, { fileName: `${run.kind}-${jobId}.${run.format}`, contentType: contentTypes[run.format] });
        return file.id;
      },
    };
    await outcomes.finish(run, { counts, report: recorded });
  } catch (error) {
    await artifacts.discard(file);
    await outcomes.retryOrFail(run, job, counts, error);
    throw error;
  }
}
