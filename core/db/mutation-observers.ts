/**
 * Mutation observers: the one extension point through which a plugin (audit) sees every change of
 * every plugin inside the transaction that makes it. A mutating request (POST, PUT, PATCH, DELETE)
 * runs in a scope; each transaction opened in that scope captures its row changes (a trigger on
 * every tenant-scoped table, see change-capture.ts) and, just before COMMIT, hands them to the
 * observers together with the events published in it. An observer that throws rolls the change
 * back: nothing commits without what observes it. The changes stay in the database until an
 * observer asks for them; an observer that writes in SQL sent with the COMMIT reads them there.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CapturedChanges, MutationObserver, ObservedEvent, ObservedMutation, ObserverTx, Principal, RowChange } from '../plugin-api/index.ts';
import type { Tx } from './sql-handles.ts';
import type { CapturedNotices } from './captured-notices.ts';
import { capturedChangesSql, startCaptureStatements, stopCaptureSql } from './change-capture.ts';
import { type CommitStatement, checkedCommitParameters } from './placeholders.ts';

/** What the HTTP layer knows of a request, carried to the transactions it opens. */
export interface MutationRequest {
  /** A mutating request (POST, PUT, PATCH, DELETE): its transactions capture their row changes. Others only lend events their caller. */
  captures: boolean;
  operationId: string;
  method: string;
  path: string;
  params: Record<string, unknown>;
  principal: Principal | null;
  tenantId?: string;
  correlationId: string;
  clientAddress: string;
  secretFields: ReadonlySet<string>;
}

const requestScope = new AsyncLocalStorage<MutationRequest>();

/** Runs a request's handler so that its transactions are observed (and, for a mutating one, capture their rows). */
export function asMutation<T>(request: MutationRequest, fn: () => Promise<T>): Promise<T> {
  return requestScope.run(request, fn);
}

export class MutationObservers {
  private readonly observers = new Map<string, MutationObserver>();
  /** The observers that read row changes: without one, no transaction captures its rows. */
  private readonly rowReaders = new Set<string>();
  private readonly events = new WeakMap<Tx, ObservedEvent[]>();
  private readonly notices = new WeakMap<Tx, CapturedNotices>();

  add(owner: string, observer: MutationObserver, options: { rows?: boolean } = {}): () => void {
    if (this.observers.has(owner)) throw new Error(`plugin ${owner} observes mutations twice`);
    this.observers.set(owner, observer);
    if (options.rows !== false) this.rowReaders.add(owner);
    return () => {
      this.observers.delete(owner);
      this.rowReaders.delete(owner);
    };
  }

  /**
   * The mutating request a statement running now belongs to, when anyone observes mutations: then
   * even a lone statement runs in a transaction of its own, so its observers see it before it commits.
   */
  observing(): MutationRequest | undefined {
    if (this.observers.size === 0) return undefined;
    const request = requestScope.getStore();
    return request?.captures ? request : undefined;
  }

  /** The request a transaction starting now belongs to, when an observer reads row changes (then its rows are captured). */
  capturing(): MutationRequest | undefined {
    return this.rowReaders.size === 0 ? undefined : this.observing();
  }

  /** The statements that open a transaction: BEGIN, with row capture switched on for an observed request. */
  beginStatements(request: MutationRequest | undefined): readonly string[] {
    return request ? ['BEGIN', ...startCaptureStatements] : justBegin;
  }

  /** The rows an observed transaction's connection hears announced (see captured-notices.ts). */
  noteNotices(tx: Tx, notices: CapturedNotices): void {
    this.notices.set(tx, notices);
  }

  /** Called by the outbox's publish hook: events join the transaction's observed mutation. */
  noteEvents(tx: Tx, events: ObservedEvent[]): void {
    if (this.observers.size === 0) return;
    const list = this.events.get(tx);
    if (list) list.push(...events);
    else this.events.set(tx, [...events]);
  }

  /**
   * Just before COMMIT: the observers see what the transaction changed and published; a throw rolls
   * it back. Answers the statements that commit: COMMIT, preceded by what the observers asked to
   * send with it, so an observer that writes in SQL costs no round trip of its own.
   */
  async beforeCommit(tx: Tx, capturing: MutationRequest | undefined): Promise<readonly CommitStatement[]> {
    if (this.observers.size === 0) return justCommit;
    const events = this.events.get(tx) ?? [];
    // A read's transaction has no captured rows, but its events (a secret read) have a caller; a
    // mutating request's transaction reaches observers that read no rows even without either.
    const request = capturing ?? requestScope.getStore();
    if (!capturing && events.length === 0 && !request?.captures) return justCommit;
    let captureOn = capturing !== undefined;
    let read: Promise<CapturedChanges> | undefined;
    /** How many rows the observers were handed from the notices, which the COMMIT checks. */
    let announced: number | undefined;
    const readChanges = () => {
      if (!read) {
        const heard = capturing ? this.notices.get(tx)?.changes : undefined;
        if (heard) {
          announced = heard.length;
          read = Promise.resolve({ changes: heard, dropped: 0 });
        } else {
          // The read switches capture off too; the connection runs it before any later statement.
          read = capturing ? readCaptured(tx) : Promise.resolve(noChanges);
          captureOn = false;
        }
      }
      return read;
    };
    const atCommit: CommitStatement[] = [];
    const observerTx: ObserverTx = {
      tenantId: tx.tenantId,
      afterCommit: (step) => tx.afterCommit(step),
      // The observer's own writes are not changes to observe.
      query: async (sql, params) => {
        if (captureOn) {
          captureOn = false;
          await tx.query(stopCaptureSql);
        }
        return tx.query(sql, params);
      },
      // Through query, which switches capture off first: an observer's statements are few.
      statement: (sql) => (params) => observerTx.query(sql, params),
      atCommit: (sql, params = []) => {
        atCommit.push({ sql, params: checkedCommitParameters(params) });
      },
    };
    const mutation: ObservedMutation = {
      operationId: request?.operationId ?? null,
      method: request?.method,
      path: request?.path,
      params: request?.params ?? {},
      principal: request?.principal ?? null,
      requestTenantId: request?.tenantId,
      tenantId: tx.tenantId,
      correlationId: request?.correlationId,
      clientAddress: request?.clientAddress,
      captured: capturing !== undefined,
      mutating: request?.captures ?? false,
      readChanges,
      events,
      secretFields: request?.secretFields ?? noSecrets,
    };
    for (const observer of this.observers.values()) await observer(observerTx, mutation);
    if (atCommit.length === 0) return justCommit;
    // The check switches capture off as well; without it, a statement of its own does.
    const check = announced !== undefined ? [{ sql: checkCapturedSql, params: [announced] }] : captureOn ? [{ sql: stopCaptureSql, params: [] }] : [];
    return [...check, ...atCommit, commit];
  }
}

const justBegin = ['BEGIN'] as const;
const commit: CommitStatement = { sql: 'COMMIT', params: [] };
const justCommit: readonly CommitStatement[] = [commit];
const checkCapturedSql = 'SELECT itops_check_captured(?::integer)';
const noSecrets: ReadonlySet<string> = new Set();
const noChanges: CapturedChanges = { changes: [], dropped: 0 };

async function readCaptured(tx: Tx): Promise<CapturedChanges> {
  const [row] = await tx.query<{ changes: string | null; dropped: string | null }>(capturedChangesSql);
  return { changes: parseChanges(row?.changes), dropped: Number(row?.dropped || 0) };
}

function parseChanges(text: string | null | undefined): RowChange[] {
  if (!text) return [];
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as RowChange);
}
