import { createHash } from 'node:crypto';
import pg from 'pg';
import { ArrayParameter } from './array-parameter.ts';
import { prepareValue } from './placeholders.ts';

/**
 * A pg client that runs a statement it has seen before (one with parameters, or a lone query or
 * change without) as a named prepared statement of its connection, so PostgreSQL parses and plans it once per connection instead of at every
 * execution (after five executions it may keep a generic plan). The platform runs the same few
 * hundred statements over and over, and planning them was the largest single part of the
 * database's CPU in the workflow engine's profile (pg-boss's CTEs and our row-level-secured ones
 * alike). PgJDBC does the same by default (`prepareThreshold`, 5).
 *
 * Bounded both ways: a text is prepared only once it has been seen `uses` times (statements built
 * with inlined values never are), and a connection keeps at most `perConnection` of them. A
 * statement whose cached plan the server refuses (its result type changed under a migration,
 * SQLSTATE 0A000, or it was deallocated, 26000) fails that once and is not prepared on that
 * connection again.
 *
 * After a migration (`schemaChanged`) a statement's cached plan may no longer fit its tables, so
 * each connection, the next time it is idle, deallocates what it prepared before preparing again.
 *
 * A transaction's first statement, prepared, travels in the same write as the statements that open
 * the transaction (BEGIN and its settings, `queryOpened`): BEGIN costs no round trip of its own,
 * as it does not when the first statement is inlined into one simple query with it. Likewise its
 * last statements with values travel with the COMMIT (`queryPipelined`), prepared like any other.
 */
const uses = 3;
const perConnection = 200;
const maxTexts = 20_000;

/** Bumped by every migration on this node: connections prepared under an older schema start over. */
let schemaGeneration = 0;
export function schemaChanged(): void {
  schemaGeneration += 1;
}

/** Texts by how often they were seen, then by their statement name once they are prepared. */
const seen = new Map<string, number | string>();

function nameFor(text: string): string | undefined {
  const known = seen.get(text);
  if (typeof known === 'string') return known;
  const count = (known ?? 0) + 1;
  if (count < uses) {
    if (seen.size >= maxTexts) seen.clear();
    seen.set(text, count);
    return undefined;
  }
  const name = statementName(text);
  seen.set(text, name);
  return name;
}

/**
 * A statement's name, from its text: the same for a statement prepared explicitly (`statement(sql)`)
 * and one prepared here, so a text run both ways is prepared once per connection.
 */
export function statementName(text: string): string {
  return `itops_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
}

/**
 * A statement with parameters is one statement. One without may be several (a migration), which only
 * the simple protocol takes, or a transaction's control: only a lone query or change is prepared
 * (pg-boss inlines its queue's name into its fetch, which then has no parameters).
 */
function preparable(text: string, values: readonly unknown[] | undefined): boolean {
  if (values !== undefined && values.length > 0) return !values.some(isLongArray);
  return lonePlannable.test(text) && !text.includes(';');
}
const lonePlannable = /^\s*(?:select|with|insert|update|delete)\b/i;

/**
 * A batch binds a long array, and is planned with its values instead: a generic plan cannot hash
 * the array of an `= ANY($n)` that filters rows (PostgreSQL hashes a constant one of 9 elements or
 * more), and tests every row against every element. The container watcher's lookup of 1,000
 * containers by external id took 50 ms that way instead of 2 ms. Its planning is small beside its
 * work anyway.
 */
function isLongArray(value: unknown): boolean {
  return (value instanceof ArrayParameter || Array.isArray(value)) && value.length >= hashedArrayLength;
}
const hashedArrayLength = 9;
type Callback = (error: Error | null, result?: pg.QueryResult | pg.QueryResult[]) => void;
interface ConnectionState {
  parsedStatements: Record<string, string>;
}

const refusedPlan = new Set(['0A000', '26000']);

/** One statement of a pipeline: its text (`$n` placeholders), its values, and its prepared name ('' for unnamed). */
interface PipelineStep {
  text: string;
  values: readonly unknown[];
  name: string;
}

/** A statement to run in a pipeline: the caller's side of a PipelineStep. */
export interface PipelinedStatement {
  text: string;
  values: readonly unknown[];
}

/**
 * Statements written as one pipeline (each a parse when needed, bind, describe and execute) before
 * one Sync: one write, one answer, and a prepared statement among them is not parsed again. Its
 * results are the statements' own, in order. A failing statement skips the rest (PostgreSQL
 * discards what follows it up to the Sync); `failed` is then its step.
 */
class PipelinedQuery extends (pg.Query as unknown as new (config: pg.QueryConfig & { queryMode: 'extended' }) => RawQuery) {
  /** The steps that send a parse, in order: the first `parsed` of them reached the server's statements. */
  private readonly parsing: PipelineStep[] = [];
  private parsed = 0;
  private completed = 0;
  private connection: RawConnection | undefined;
  private readonly countParse = () => {
    this.parsed += 1;
  };

  constructor(private readonly steps: readonly PipelineStep[]) {
    // The text is only what the pipeline sends, for whoever looks (the statements go step by step).
    super({ text: steps.map((step) => step.text).join(';\n'), queryMode: 'extended' });
  }

  /** The step whose statement failed, once the query failed. */
  get failed(): PipelineStep | undefined {
    return this.steps[this.completed];
  }

  override submit(connection: RawConnection): Error | null {
    this.connection = connection;
    connection.on('parseComplete', this.countParse);
    return super.submit(connection);
  }

  override prepare(connection: RawConnection): void {
    for (const step of this.steps) {
      const known =
        step.name !== '' &&
        (connection.parsedStatements[step.name] !== undefined ||
          connection.submittedNamedStatements[step.name] !== undefined ||
          this.parsing.some((other) => other.name === step.name));
      if (!known) {
        connection.parse({ text: step.text, name: step.name, types: [] });
        this.parsing.push(step);
        if (step.name !== '') connection.submittedNamedStatements[step.name] = step.text;
      }
      connection.bind({ portal: '', statement: step.name, values: step.values });
      connection.describe({ type: 'P', name: '' });
      connection.execute({ portal: '', rows: 0 });
    }
    connection.sync();
  }

  override handleCommandComplete(message: unknown, connection: RawConnection): void {
    this.completed += 1;
    super.handleCommandComplete(message, connection);
  }

  override handleEmptyQuery(connection: RawConnection): void {
    this.completed += 1;
    super.handleEmptyQuery(connection);
  }

  override handleError(error: Error, connection: RawConnection): void {
    this.settle();
    super.handleError(error, connection);
  }

  override handleReadyForQuery(connection: RawConnection): void {
    this.settle();
    super.handleReadyForQuery(connection);
  }

  /** pg knows the names this query parsed only from us: those the server confirmed are parsed now, the others never were. */
  private settle(): void {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    connection.off('parseComplete', this.countParse);
    this.parsing.forEach((step, index) => {
      if (step.name === '') return;
      delete connection.submittedNamedStatements[step.name];
      if (index < this.parsed) connection.parsedStatements[step.name] = step.text;
    });
  }
}

/** pg's Query and Connection as far as PipelinedQuery uses them (its types leave these out). */
interface RawQuery {
  name: string;
  callback: Callback;
  submit(connection: RawConnection): Error | null;
  prepare(connection: RawConnection): void;
  handleCommandComplete(message: unknown, connection: RawConnection): void;
  handleEmptyQuery(connection: RawConnection): void;
  handleError(error: Error, connection: RawConnection): void;
  handleReadyForQuery(connection: RawConnection): void;
}
interface RawConnection extends ConnectionState {
  submittedNamedStatements: Record<string, string>;
  on(event: 'parseComplete', listener: () => void): unknown;
  off(event: 'parseComplete', listener: () => void): unknown;
  parse(config: { text: string; name: string; types: unknown[] }): void;
  bind(config: { portal: string; statement: string; values: readonly unknown[] }): void;
  describe(config: { type: 'P'; name: string }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
}

export class PreparingClient extends pg.Client {
  private prepared = 0;
  private readonly refused = new Set<string>();
  private generation = schemaGeneration;

  override query(config: any, values?: any, callback?: any): any {
    if (typeof config !== 'string' || !(Array.isArray(values) || values === undefined) || !preparable(config, values)) {
      return super.query(config, values, callback);
    }
    const name = this.preparedName(config);
    if (name === undefined) return super.query(config, values, callback);
    const named = { name, text: config, values: values ?? [] };
    if (typeof callback === 'function') {
      return super.query(named, ((error, result) => {
        if (error) this.forget(name, error);
        (callback as Callback)(error, result);
      }) as Callback);
    }
    return (super.query(named) as Promise<pg.QueryResult>).catch((error: unknown) => {
      this.forget(name, error);
      throw error;
    });
  }

  /**
   * `text` with `values` after `opening` (the statements that open its transaction), in one round
   * trip: when `text` is (or is now due to be) prepared on this connection. Undefined otherwise; the
   * caller then sends them some other way.
   */
  queryOpened(opening: readonly string[], text: string, values: unknown[]): Promise<pg.QueryResult> | undefined {
    if (!preparable(text, values)) return undefined;
    const name = this.preparedName(text);
    if (name === undefined) return undefined;
    const steps = [...opening.map((sql) => ({ text: sql, values: [], name: '' })), { text, values, name }];
    return this.runPipeline(steps).then((results) => results[results.length - 1]);
  }

  /**
   * Statements in one round trip, those due to be prepared as this connection's prepared
   * statements (the others unnamed): a transaction's last statements and its COMMIT, say. Their
   * results, in order; a failure stops at the failing statement.
   */
  queryPipelined(statements: readonly PipelinedStatement[]): Promise<pg.QueryResult[]> {
    const steps = statements.map(({ text, values }) => ({ text, values, name: (preparable(text, values) && this.preparedName(text)) || '' }));
    return this.runPipeline(steps);
  }

  /**
   * The values are converted to the form a bind writes before anything is written: a value that
   * cannot be converted rejects here, with nothing sent.
   */
  private runPipeline(steps: readonly PipelineStep[]): Promise<pg.QueryResult[]> {
    return new Promise((resolve, reject) => {
      const query = new PipelinedQuery(steps.map((step) => ({ ...step, values: step.values.map((value) => prepareValue(value)) })));
      query.callback = (error, results) => {
        if (error) {
          if (query.failed?.name) this.forget(query.failed.name, error);
          reject(error);
        } else {
          resolve(Array.isArray(results) ? results : [results as pg.QueryResult]);
        }
      };
      super.query(query as unknown as pg.Submittable);
    });
  }

  /** Outside a transaction: a DEALLOCATE neither fails with it nor waits for it. */
  private idle(): boolean {
    return (this as unknown as { _txStatus: string | null })._txStatus === 'I';
  }

  /**
   * Deallocates every statement this connection prepared, the explicitly named ones too: queued
   * ahead of whatever it sends next. A failure of its own leaves statements the server drops with
   * the connection.
   */
  private startOver(): void {
    this.generation = schemaGeneration;
    this.prepared = 0;
    this.refused.clear();
    this.connectionState.parsedStatements = {};
    (super.query('DEALLOCATE ALL') as Promise<unknown>).catch(() => undefined);
  }

  /** The name `text` runs under on this connection, or undefined when it runs unnamed. */
  private preparedName(text: string): string | undefined {
    // A migration since this connection last prepared: start over, or (inside a transaction) wait.
    if (this.generation !== schemaGeneration) {
      if (!this.idle()) return undefined;
      this.startOver();
    }
    const name = nameFor(text);
    if (name === undefined || this.refused.has(name)) return undefined;
    if (this.connectionState.parsedStatements[name] === undefined) {
      if (this.prepared >= perConnection) return undefined;
      this.prepared += 1;
    }
    return name;
  }

  /** After a failure: a plan the server refuses is not prepared on this connection again. */
  private forget(name: string, error: unknown): void {
    if (refusedPlan.has((error as { code?: string })?.code ?? '')) {
      this.refused.add(name);
      delete this.connectionState.parsedStatements[name];
    }
  }

  /** pg's connection, as far as the names it has parsed go (its types leave them out). */
  private get connectionState(): ConnectionState {
    return (this as unknown as { connection: ConnectionState }).connection;
  }
}
