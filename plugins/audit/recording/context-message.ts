import type { MutationObserver, ObservedEvent } from '../../../core/plugin-api/index.ts';
import { contextOf, type RecordContext } from './mutation-recorder.ts';
import { redact } from './redaction.ts';

/** The prefix of the logical messages that carry a transaction's context through the WAL. */
export const contextPrefix = 'itops.audit';

/** The message's fields, short: one is written to the WAL with every audited transaction. */
interface ContextMessage {
  /** The transaction belongs to a mutating request: its rows are recorded (else only its events). */
  w: boolean;
  t: string | null;
  o: string | null;
  p?: string;
  u: { k: string; i: string; n?: string } | null;
  r?: string;
  c?: string;
  a?: string;
  s: string[];
  e: ObservedEvent[];
}

/**
 * The audit plugin's observer in WAL mode (it reads no rows): a transaction of a mutating request, or
 * one with a security event, sends its request's context with the COMMIT as one transactional logical
 * message (`pg_logical_emit_message`). It commits or rolls back with the change; the consumer reads
 * the two together from the WAL and writes the records (wal-consumer.ts). A transaction with neither
 * sends nothing, and gets no record, as with row capture. Events' secrets are redacted before they
 * reach the WAL; rows are redacted when the consumer builds their diffs.
 */
export const sendContext: MutationObserver = async (tx, mutation) => {
  const context = contextOf(tx, mutation);
  if (context.operationId === null && context.events.length === 0) return;
  const principal = context.principal;
  const message: ContextMessage = {
    w: mutation.mutating,
    t: context.txTenantId,
    o: context.operationId,
    p: context.path,
    u: principal ? { k: principal.kind, i: principal.id, n: principal.name } : null,
    r: context.requestTenantId,
    c: context.correlationId,
    a: context.clientAddress,
    s: [...context.secretFields],
    e: context.events.map((event) => ({ ...event, payload: redact(event.payload, context.secretFields) })),
  };
  tx.atCommit('SELECT pg_logical_emit_message(true, ?, ?)', [contextPrefix, JSON.stringify(message)]);
};

/** A context message read back from the WAL, and whether the transaction's rows are its request's change. */
export function readContext(content: string): RecordContext & { rows: boolean } {
  const message = JSON.parse(content) as ContextMessage;
  return {
    rows: message.w,
    txTenantId: message.t,
    operationId: message.o,
    path: message.p,
    principal: message.u ? { kind: message.u.k as NonNullable<RecordContext['principal']>['kind'], id: message.u.i, name: message.u.n } : null,
    requestTenantId: message.r,
    correlationId: message.c,
    clientAddress: message.a,
    secretFields: new Set(message.s),
    events: message.e,
  };
}
