import { capturePublication, lsnValue, maxCapturedRows, type PlatformDatabase } from '../../../core/plugin-api/index.ts';
import type { DecodedTransaction } from '../decoding/pgoutput.ts';
import { type ChangeReader, SlotReader } from '../decoding/slot-reader.ts';
import { contextPrefix, readContext } from './context-message.ts';
import { type NewAuditRecord, recordsOf } from './mutation-recorder.ts';

/** About this many stream rows per read (whole transactions); a round reads at most `maxReads` times. */
const perRead = 20_000;
const maxReads = 20;
/** Records per statement. */
const perInsert = 2000;

/** The database's audit slot: slot names are the cluster's, so each database has its own. */
export async function auditSlot(platform: PlatformDatabase): Promise<string> {
  const [row] = await platform.query<{ slot: string }>(`SELECT 'itops_audit_' || left(md5(current_database()), 16) AS slot`);
  return row.slot;
}

/** Whether the audit slot exists (WAL mode ran on this database and its slot was not dropped). */
export async function slotExists(platform: PlatformDatabase, slot: string): Promise<boolean> {
  const [found] = await platform.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = ?', [slot]);
  return found.n > 0;
}

/** A reader of the audit slot; one kept across rounds reads the database's types once. */
export function slotReader(platform: PlatformDatabase, slot: string): SlotReader {
  return new SlotReader((sql, params) => platform.query(sql, params), slot, capturePublication);
}

/**
 * Writes the records of what committed since the last round, from the WAL: each transaction that
 * carries a context message (context-message.ts) becomes the records the observer would have
 * written in it, timed at its commit, with its rows (at most 100 per transaction, the rest
 * counted, as with row capture). The records and the position they reach are committed together;
 * the slot is released up to it after. Returns how many records it wrote.
 */
export async function consumeWal(platform: PlatformDatabase, slot: string, reader: ChangeReader = slotReader(platform, slot)): Promise<number> {
  let written = 0;
  let read = false;
  for (let reads = 0; reads < maxReads; reads++) {
    const { transactions, through } = await reader.read(await position(platform, slot), perRead, contextPrefix);
    if (through === null) break;
    const count = await platform.transaction(async (tx) => {
      // Another consumer (a tool's, a test's) may have read the same transactions: writers take turns,
      // and each writes only what is past the position the one before it committed.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext(?))', [slot]);
      const written = await position(tx, slot);
      const floor = written === null ? -1n : lsnValue(written);
      const records = transactions.filter((t) => t.commitLsn === undefined || lsnValue(t.commitLsn) > floor).flatMap(recordsOfTransaction);
      // Sealed as they go in: this is the only writer of these records (audit_append_sealed).
      for (let at = 0; at < records.length; at += perInsert) {
        await tx.query('SELECT audit_append_sealed(?::jsonb)', [JSON.stringify(records.slice(at, at + perInsert))]);
      }
      await tx.query(
        `INSERT INTO audit_wal_position (slot, commit_lsn) VALUES (?, ?::pg_lsn)
         ON CONFLICT (slot) DO UPDATE SET commit_lsn = greatest(audit_wal_position.commit_lsn, excluded.commit_lsn)`,
        [slot, through],
      );
      return records.length;
    });
    await reader.release(through);
    written += count;
    read = true;
  }
  if (read) await markDecodingPoint(platform);
  return written;
}

export async function position(db: Pick<PlatformDatabase, 'query'>, slot: string): Promise<string | null> {
  const [row] = await db.query<{ lsn: string }>('SELECT commit_lsn::text AS lsn FROM audit_wal_position WHERE slot = ?', [slot]);
  return row?.lsn ?? null;
}

/**
 * A slot's restart point, where a new reading begins to decode, only moves past a record of the
 * transactions running at some point (PostgreSQL logs one every 15 s), and the WAL is busy under
 * load: through the SQL interface every read decoded 13-43 MB again (bench:audit-overhead); a
 * stream decodes from there only when it starts again (a restart, another node taking over).
 * Logging one after a round that read something keeps that to about a round; idle rounds write
 * nothing. It needs PostgreSQL 16 and, by default, a superuser; without, readings decode more.
 */
async function markDecodingPoint(platform: PlatformDatabase): Promise<void> {
  await platform.query('SELECT pg_log_standby_snapshot()').catch((error: { code?: string }) => {
    if (error.code !== '42501' && error.code !== '42883') throw error;
  });
}

function recordsOfTransaction(transaction: DecodedTransaction): (NewAuditRecord & { occurredAt?: string })[] {
  const message = transaction.messages.find((m) => m.prefix === contextPrefix);
  if (!message) return [];
  const context = readContext(message.content);
  const changes = context.rows ? transaction.changes : [];
  const records = recordsOf(context, { changes: changes.slice(0, maxCapturedRows), dropped: Math.max(0, changes.length - maxCapturedRows) });
  const occurredAt = transaction.committedAt ?? new Date().toISOString();
  return records.map((record) => ({ ...record, occurredAt }));
}
