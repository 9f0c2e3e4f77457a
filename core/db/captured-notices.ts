import type { RowChange } from '../plugin-api/index.ts';
import { changeNoticeCode, droppedNoticeCode } from './change-capture.ts';

/**
 * The rows an observed transaction's capture trigger announced as notices, gathered from its
 * connection while it runs: they arrive with the answer of the statement that changed them, so an
 * observer reads them without a round trip. They are exact unless a row was announced and then
 * undone inside the transaction (a rollback to a savepoint): an announcement out of order, a
 * `ROLLBACK TO` statement or rows beyond the capture limit make `changes` undefined, and the rows
 * are read from the database instead. The COMMIT checks the count too (itops_check_captured).
 */
export class CapturedNotices {
  private readonly rows: RowChange[] = [];
  private exact = true;
  private readonly listener = (notice: Notice) => {
    if (notice.code === droppedNoticeCode) this.exact = false;
    if (notice.code !== changeNoticeCode || !this.exact) return;
    const text = notice.message ?? '';
    const space = text.indexOf(' ');
    if (Number(text.slice(0, space)) !== this.rows.length + 1) {
      this.exact = false;
      return;
    }
    this.rows.push(JSON.parse(text.slice(space + 1)) as RowChange);
  };

  constructor(private readonly client: NoticeSource) {
    client.on('notice', this.listener);
  }

  /** Called with each statement the transaction sends: a rollback to a savepoint may undo announced rows. */
  noteStatement(sql: string): void {
    if (rollbackTo.test(sql)) this.exact = false;
  }

  /** The rows in the order they changed, or undefined when they must be read from the database. */
  get changes(): RowChange[] | undefined {
    return this.exact ? this.rows : undefined;
  }

  close(): void {
    this.client.off('notice', this.listener);
  }
}

type Notice = { code?: string; message?: string };
/** A connection, as far as its notices go (pg's client). */
interface NoticeSource {
  on(event: 'notice', listener: (notice: Notice) => void): unknown;
  off(event: 'notice', listener: (notice: Notice) => void): unknown;
}

const rollbackTo = /^\s*rollback\s+(?:transaction\s+|work\s+)?to\b/i;
