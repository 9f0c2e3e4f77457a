import { maxCapturedRows, type PlatformDatabase } from '../../../core/plugin-api/index.ts';
import { capturePublication } from '../../../core/plugin-api/index.ts';
import type { DecodedTransaction } from '../decoding/pgoutput.ts';
import { SlotReader } from '../decoding/slot-reader.ts';
import { contextPrefix, readContext } from './context-message.ts';
import { insertSql, type NewAuditRecord, recordsOf, recordValues } from './mutation-recorder.ts';

/** About this many stream rows per read (whole transactions); a round reads at most `maxReads` times. */
const perRead = 20_000;
const maxReads = 20;
/** Records per INSERT: 12 values each, under PostgreSQL's 65,535 parameters. */
const perInsert = 2000;

/** The database's audit slot: slot names are the cluster's, so each database has its own. */
export async function auditSlot(platform: PlatformDatabase): Promise<string> {
  const [row] = await platform.query<{ slot: string }>(`SELECT 'itops_audit_' || left(md5(current_database()), 16) AS slot`);
  return row.slot;
}

/**
 * Writes the records of what committed since the last round, from the WAL: each transaction that
 * carries a context message (context-message.ts) becomes the records the observer would have
 * written in it, timed at its commit, with its rows (at most 100 per transaction, the rest
 * counted, as with row capture). The records and the position they reach are committed together;
 * the slot is released up to it after. Returns how many records it wrote.
 */
export async function consumeWal(platform: PlatformDatabase, slot: string): Promise<number> {
  const reader = new SlotReader((sql, params) => platform.query(sql, params), slot, capturePublication);
  await markDecodingPoint(platform);
  let written = 0;
  for (let read = 0; read < maxReads; read++) {
    const [position] = await platform.query<{ lsn: string }>('SELECT commit_lsn::text AS lsn FROM audit_wal_position WHERE slot = ?', [slot]);
    const { transactions, through } = await reader.read(position?.lsn ?? null, perRead, contextPrefix);
    if (through === null) break;
    const records = transactions.flatMap(recordsOfTransaction);
    await platform.transaction(async (tx) => {
      for (let at = 0; at < records.length; at += perInsert) {
        const part = records.slice(at, at + perInsert);
        await tx.query(insertSql(part.length, true), part.flatMap(recordValues));
      }
      await tx.query(
        `INSERT INTO audit_wal_position (slot, commit_lsn) VALUES (?, ?::pg_lsn)
         ON CONFLICT (slot) DO UPDATE SET commit_lsn = excluded.commit_lsn`,
        [slot, through],
      );
    });
    await reader.release(through);
    written += records.length;
  }
  return written;
}

/**
 * Each read through the SQL interface decodes again from the slot's restart point, which only moves
 * past a record of the transactions running at some point (PostgreSQL logs one every 15 s): under
 * load the rounds re-decoded 13-43 MB of WAL each (bench:audit-overhead). Logging one at the start of
 * each round keeps it a round behind. It needs PostgreSQL 16 and, by default, a superuser; without,
 * the rounds decode more.
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
  return records.map((record) => ({ ...record, occurredAt: transaction.committedAt }));
}
