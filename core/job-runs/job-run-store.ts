import { randomUUID } from 'node:crypto';
import type { ArtifactStore } from '../artifacts/artifact-store.ts';
import type { DatabaseService, Tx } from '../db/sql-handles.ts';
import { defineList } from '../lists/list-page.ts';

export type JobRunType = 'import' | 'export';
export type DataFormat = 'csv' | 'json' | 'ndjson' | 'yaml';
export type ImportMode = 'all_or_nothing' | 'best_effort';

export interface JobRunRow {
  id: string;
  tenant_id: string;
  type: JobRunType;
  kind: string;
  format: DataFormat;
  mode: ImportMode;
  dry_run: boolean;
  state: 'queued' | 'running' | 'completed' | 'failed';
  queued_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  retry_count: number;
  error_code: string | null;
  error_message: string | null;
  rows_read: string;
  rows_written: string;
  rows_rejected: string;
  input_file: string | null;
  artifact_id: string | null;
  created_by: string | null;
  /** From the joined artifact, when there is one. */
  artifact_expires_at?: Date | null;
}

export interface RowCounts {
  read: number;
  written: number;
  rejected: number;
}

const iso = (value: Date | null | undefined) => (value ? new Date(value).toISOString() : null);

/**
 * The user's view of imports and exports (`GET /api/v1/jobs`): one row per job with its lifecycle
 * times, pg-boss's retry count, the error that ended it and a fresh signed link to its file. Every
 * write goes through the workspace's handle (row-level security), also from the job workers.
 */
export class JobRunStore {
  readonly list = defineList({
    from: 'core_job_run j LEFT JOIN core_artifact a ON a.id = j.artifact_id',
    select: 'j.*, a.expires_at AS artifact_expires_at',
    sortable: { queuedAt: 'j.queued_at', completedAt: 'j.completed_at', kind: 'j.kind', state: 'j.state' },
    defaultSort: 'queuedAt',
    equals: { type: 'j.type', kind: 'j.kind', state: 'j.state', format: 'j.format' },
    search: ['j.kind', 'j.error_message'],
    tieBreaker: 'j.id',
    nullsLast: true,
    view: (row: JobRunRow) => this.view(row),
  });

  constructor(
    private readonly database: Pick<DatabaseService, 'forTenant'>,
    private readonly artifacts: ArtifactStore,
    /** Makes the link's path absolute (the public URL, or the request's origin). */
    private readonly absolute: (path: string) => string,
  ) {}

  async create(
    tx: Tx,
    fields: { type: JobRunType; kind: string; format: DataFormat; mode?: ImportMode; dryRun?: boolean; inputFile?: string; createdBy?: string },
  ): Promise<JobRunRow> {
    const [row] = await tx.query<JobRunRow>(
      `INSERT INTO core_job_run (id, tenant_id, type, kind, format, mode, dry_run, input_file, created_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      [
        randomUUID(),
        tx.tenantId,
        fields.type,
        fields.kind,
        fields.format,
        fields.mode ?? 'all_or_nothing',
        fields.dryRun ?? false,
        fields.inputFile ?? null,
        fields.createdBy ?? null,
      ],
    );
    return row;
  }

  async get(tenantId: string, id: string): Promise<JobRunRow | undefined> {
    const [row] = await this.database
      .forTenant(tenantId)
      .query<JobRunRow>(
        'SELECT j.*, a.expires_at AS artifact_expires_at FROM core_job_run j LEFT JOIN core_artifact a ON a.id = j.artifact_id WHERE j.id = ?',
        [id],
      );
    return row;
  }

  /** An attempt starts: pg-boss's retry count is the user's too. */
  async markRunning(tenantId: string, id: string, attempt: number): Promise<void> {
    await this.database
      .forTenant(tenantId)
      .query("UPDATE core_job_run SET state = 'running', started_at = now(), retry_count = ?, error_code = NULL, error_message = NULL WHERE id = ?", [
        attempt,
        id,
      ]);
  }

  async progress(tenantId: string, id: string, counts: RowCounts): Promise<void> {
    await this.database
      .forTenant(tenantId)
      .query('UPDATE core_job_run SET rows_read = ?, rows_written = ?, rows_rejected = ? WHERE id = ?', [counts.read, counts.written, counts.rejected, id]);
  }

  /** The end of a job: completed, or failed with a code and message; the file it produced, if any. */
  async finish(tx: Tx, id: string, outcome: { counts: RowCounts; artifactId?: string | null; error?: { code: string; message: string } }): Promise<void> {
    await tx.query(
      `UPDATE core_job_run SET state = ?, completed_at = now(), rows_read = ?, rows_written = ?, rows_rejected = ?,
         artifact_id = coalesce(?, artifact_id), error_code = ?, error_message = ?, input_file = NULL WHERE id = ?`,
      [
        outcome.error ? 'failed' : 'completed',
        outcome.counts.read,
        outcome.counts.written,
        outcome.counts.rejected,
        outcome.artifactId ?? null,
        outcome.error?.code ?? null,
        outcome.error?.message.slice(0, 2000) ?? null,
        id,
      ],
    );
  }

  /** An attempt failed and pg-boss will retry it: back to queued, with why. */
  async requeue(tenantId: string, id: string, message: string): Promise<void> {
    await this.database
      .forTenant(tenantId)
      .query("UPDATE core_job_run SET state = 'queued', error_code = 'internal', error_message = ? WHERE id = ?", [message.slice(0, 2000), id]);
  }

  view(row: JobRunRow) {
    const artifactExpires = row.artifact_expires_at ? new Date(row.artifact_expires_at) : null;
    const artifactUrl =
      row.artifact_id && artifactExpires && artifactExpires.getTime() > Date.now()
        ? this.absolute(this.artifacts.signedPath({ id: row.artifact_id, tenantId: row.tenant_id, expiresAt: artifactExpires }))
        : null;
    return {
      id: row.id,
      type: row.type,
      kind: row.kind,
      format: row.format,
      ...(row.type === 'import' ? { mode: row.mode, dryRun: row.dry_run } : {}),
      state: row.state,
      queuedAt: iso(row.queued_at) as string,
      startedAt: iso(row.started_at),
      completedAt: iso(row.completed_at),
      retryCount: row.retry_count,
      errorCode: row.error_code,
      errorMessage: row.error_message,
      artifactUrl,
      rows: { read: Number(row.rows_read), written: Number(row.rows_written), rejected: Number(row.rows_rejected) },
      createdBy: row.created_by,
    };
  }
}
