import type { CommitStatement } from './placeholders.ts';
import type { Tx } from './sql-handles.ts';

/**
 * How a transaction that sent a NOTIFY commits. PostgreSQL serialises notifying commits on one
 * database-wide lock, held from the commit until its WAL is flushed, so every event-publishing
 * transaction of every node waited for the others' fsyncs one at a time (pgbench, 16 clients,
 * insert + pg_notify per transaction: 2,200–2,900 commits/s against 5,400–7,300 without the
 * NOTIFY). Such a transaction commits asynchronously, which releases the lock before the flush,
 * and the same message then commits an empty transaction that owns an xid: its synchronous commit
 * flushes the WAL up to its own record, past ours, so the caller's answer still waits for the
 * commit to be durable (measured: 6,600–7,500 commits/s). The cost is an xid per such commit, and
 * a window of that one round trip in which another session can see the rows before they are
 * durable: a crash of PostgreSQL inside it loses them after a listener may have read the event.
 */
const notifying = new WeakSet<Tx>();

/** Marks a transaction that sends a NOTIFY (the outbox's publish). */
export function notifiesAtCommit(tx: Tx): void {
  notifying.add(tx);
}

/** The statements that commit `tx`, given what commits a transaction (`COMMIT`, maybe after observers' statements). */
export function commitStatements(tx: Tx, commit: readonly CommitStatement[]): readonly CommitStatement[] {
  return notifying.has(tx) ? [asynchronousCommit, ...commit, flushCommit] : commit;
}
const asynchronousCommit: CommitStatement = { sql: 'SET LOCAL synchronous_commit = off', params: [] };
const flushCommit: CommitStatement = { sql: 'SELECT pg_current_xact_id()', params: [] };
