import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { stringify, type Stringifier } from 'csv-stringify';
import type { ArtifactStore, NewArtifactFile } from '../artifacts/artifact-store.ts';
import type { Tx } from '../db/sql-handles.ts';

/**
 * An import's error report, streamed to a file as rows are rejected (CSV: row, field, reason), so a
 * file with a million bad rows costs no memory. The file exists only once there is a first error.
 */
export class ErrorReport {
  private file?: NewArtifactFile;
  private csv?: Stringifier;
  private out?: WriteStream;
  count = 0;

  constructor(
    private readonly store: ArtifactStore,
    private readonly tenantId: string,
  ) {}

  async add(row: number, field: string, reason: string): Promise<void> {
    if (!this.csv) {
      this.file = await this.store.newFile(this.tenantId);
      this.out = createWriteStream(this.file.absolutePath);
      this.csv = stringify({ header: true, columns: ['row', 'field', 'reason'] });
      this.csv.pipe(this.out);
    }
    this.count += 1;
    if (!this.csv.write([row, field, reason])) await once(this.csv, 'drain');
  }

  /** Closes the file and records it in `tx`; returns its artifact id, or null when nothing was rejected. */
  async close(tx: Tx, jobId: string): Promise<string | null> {
    if (!this.csv || !this.file || !this.out) return null;
    this.csv.end();
    await finished(this.out);
    await this.store.record(tx, this.file, { fileName: `import-${jobId}-errors.csv`, contentType: 'text/csv; charset=utf-8' });
    return this.file.id;
  }

  /** Drops the file (the job ends without recording it). */
  async discard(): Promise<void> {
    this.csv?.destroy();
    this.out?.destroy();
    if (this.file) await this.store.discard(this.file);
  }
}
