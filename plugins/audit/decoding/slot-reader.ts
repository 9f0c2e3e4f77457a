import { lsnValue, type SqlQuery } from '../../../core/plugin-api/index.ts';
import { columnTypes, type DecodedTransaction, PgoutputDecoder, type StreamRow } from './pgoutput.ts';

/**
 * Reads the committed transactions of a slot in order, each once for good: see SlotReader.read.
 */
export interface ChangeReader {
  read(after: string | null, limit: number, withMessage?: string): Promise<{ transactions: DecodedTransaction[]; through: string | null }>;
  release(lsn: string): Promise<void>;
}

/**
 * A read's answer: the transactions that committed after `after`, and the last commit read as
 * `through` unless it is not past `after` either (nothing new to store and release).
 */
export function pastPosition(
  transactions: DecodedTransaction[],
  lastCommit: string | null,
  after: string | null,
): { transactions: DecodedTransaction[]; through: string | null } {
  const floor = after === null ? -1n : lsnValue(after);
  return {
    transactions: transactions.filter((t) => t.commitLsn === undefined || lsnValue(t.commitLsn) > floor),
    through: lastCommit !== null && lsnValue(lastCommit) > floor ? lastCommit : null,
  };
}

/**
 * Reads a logical replication slot so that each committed transaction is handled exactly once,
 * whatever stops the reader: it only peeks (the slot keeps the WAL), the caller writes what it made
 * of the transactions together with the last commit LSN it handled, and only then releases the
 * slot up to that point. Read again after a crash between the two, the transactions up to the
 * stored LSN come back and are skipped by `after`.
 */
export class SlotReader implements ChangeReader {
  private decoder: PgoutputDecoder | undefined;

  constructor(
    private readonly query: SqlQuery,
    private readonly slot: string,
    private readonly publication: string,
  ) {}

  /**
   * The committed transactions after the commit LSN `after` (all when null), oldest first, each
   * with its commit LSN, and the commit LSN of the last one read (`through`, null when none): the
   * point to store and release, past the transactions skipped too. About `limit` stream rows at most
   * (the server stops after the transaction in which it reaches them, so a transaction never comes in
   * parts). With `withMessage`, only transactions carrying a logical message of that prefix are decoded.
   */
  async read(after: string | null, limit: number, withMessage?: string): Promise<{ transactions: DecodedTransaction[]; through: string | null }> {
    this.decoder ??= new PgoutputDecoder(await columnTypes(this.query));
    const rows = await this.query<StreamRow>(
      `SELECT lsn::text AS lsn, xid::text AS xid, data FROM pg_logical_slot_peek_binary_changes(?, NULL, ?::int,
         'proto_version', '1', 'publication_names', ?, 'messages', 'true')`,
      [this.slot, limit, this.publication],
    );
    let lastCommit: string | null = null;
    for (const row of rows) if (row.data[0] === 0x43 && row.lsn !== undefined) lastCommit = row.lsn; // 'C'ommit
    return pastPosition(this.decoder.decode(rows, withMessage), lastCommit, after);
  }

  /**
   * Lets the server recycle the WAL up to `lsn`, once what was made of it is committed; nothing when
   * another reader already released past it (the server refuses to move a slot back).
   */
  async release(lsn: string): Promise<void> {
    await this.query(
      `SELECT pg_replication_slot_advance(slot_name, ?::pg_lsn) FROM pg_replication_slots
       WHERE slot_name = ? AND confirmed_flush_lsn < ?::pg_lsn`,
      [lsn, this.slot, lsn],
    );
  }
}
