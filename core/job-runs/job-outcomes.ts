import type { DatabaseService, Tx } from '../db/sql-handles.ts';
import type { EventDeclaration, EventsService, JobContext } from '../plugin-api/index.ts';
import type { JobRunRow, JobRunStore, RowCounts } from './job-run-store.ts';

/** Attempts of an import or export job beyond the first (pg-boss retries). */
export const jobRetryLimit = 2;

export const jobEventTopics: EventDeclaration[] = [
  { topic: 'job.completed', description: 'An import or export finished (payload: the job as GET /api/v1/jobs/{id} shows it, without the link).' },
  { topic: 'job.failed', description: 'An import or export failed for good (payload: the job, with errorCode and errorMessage).' },
];

/** A file a job leaves behind, recorded in the same transaction that ends the job. */
export interface JobFile {
  close(tx: Tx, jobId: string): Promise<string | null>;
}

/**
 * How a job ends: its file recorded, its row updated and its event published in one transaction of
 * the workspace, so a webhook subscriber hears of exactly the jobs whose state says they ended.
 */
export class JobOutcomes {
  constructor(
    private readonly database: Pick<DatabaseService, 'forTenant'>,
    private readonly runs: JobRunStore,
    private readonly events: Pick<EventsService, 'publish'>,
  ) {}

  async finish(run: JobRunRow, outcome: { counts: RowCounts; report?: JobFile; error?: { code: string; message: string } }): Promise<void> {
    await this.database.forTenant(run.tenant_id).transaction(async (tx) => {
      const artifactId = outcome.report ? await outcome.report.close(tx, run.id) : null;
      await this.runs.finish(tx, run.id, { counts: outcome.counts, artifactId, error: outcome.error });
      await this.events.publish(tx, {
        topic: outcome.error ? 'job.failed' : 'job.completed',
        tenantId: run.tenant_id,
        payload: {
          id: run.id,
          type: run.type,
          kind: run.kind,
          format: run.format,
          rows: outcome.counts,
          ...(outcome.error ? { errorCode: outcome.error.code, errorMessage: outcome.error.message } : {}),
        },
      });
    });
  }

  /**
   * An attempt failed unexpectedly: queued again while pg-boss still retries it, failed for good on
   * the last attempt. Returns whether this was the last one.
   */
  async retryOrFail(run: JobRunRow, job: JobContext, counts: RowCounts, error: unknown): Promise<boolean> {
    const message = (error as Error)?.message ?? String(error);
    if (job.attempt < jobRetryLimit) {
      await this.runs.requeue(run.tenant_id, run.id, message);
      return false;
    }
    await this.finish(run, { counts, error: { code: 'internal', message } });
    return true;
  }
}
