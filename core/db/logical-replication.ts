import pg from 'pg';
import { lsnText, lsnValue } from './wal-position.ts';

/**
 * Logical replication over the streaming protocol (a `replication=database` connection,
 * `START_REPLICATION SLOT … LOGICAL`): the server's WAL sender decodes each transaction once and
 * sends it as it commits, where the SQL interface (`pg_logical_slot_peek_*`) decodes again from the
 * slot's restart point on every read and once more to advance it (docs/audit-cost.md). Only the
 * framing is here; what the messages mean is the output plugin's, read by the caller.
 *
 * The server holds a slot for one such connection at a time: a second is refused with SQLSTATE
 * 55006 (object_in_use), which makes the slot's holder the one consumer among nodes.
 */

/** One message of the output plugin. */
export interface ReplicationMessage {
  /** Its WAL position as the server gave it (`X/Y`); a pgoutput relation description has `0/0`. */
  lsn: string;
  /** The output plugin's bytes (for pgoutput, one protocol message). */
  data: Buffer;
}

/** A slot's changes as the server streams them; see `PlatformDatabase.logicalReplication`. */
export interface ReplicationStream {
  /** Up to `max` of the messages received so far and not yet taken, oldest first. */
  take(max: number): ReplicationMessage[];
  /**
   * Tells the server that everything up to `lsn` is handled for good: the slot may forget it, and
   * a stream started again begins after it.
   */
  confirm(lsn: string): void;
  /** Why the stream ended (the connection closed, the server refused or dropped the slot); undefined while it runs. */
  readonly failure: Error | undefined;
  /** Resolves once the stream stopped, for whatever reason. */
  readonly ended: Promise<void>;
  /** Ends the stream and its connection; the slot is free for another reader once this resolves. */
  close(): Promise<void>;
}

/** What to stream: see `PlatformDatabase.logicalReplication`. */
export interface ReplicationOptions {
  /** An existing logical replication slot. */
  slot: string;
  /** The output plugin's options, e.g. pgoutput's `proto_version` and `publication_names`. */
  pluginOptions: Record<string, string>;
  /** Received messages kept at most before the socket is paused (the server then waits); default 100,000. */
  maxBuffered?: number;
}

/** PostgreSQL's epoch (2000-01-01) in Unix milliseconds: the protocol's clocks count from it. */
const postgresEpochMs = 946_684_800_000;

/**
 * Opens a replication connection to `url` and starts streaming `slot` from where it was last
 * confirmed. Resolves once the server streams; rejects with the server's error (55006: another
 * connection holds the slot; 42704: no such slot).
 */
export async function startLogicalReplication(url: string, options: ReplicationOptions): Promise<ReplicationStream> {
  // `replication` is node-postgres's (a startup parameter) but not in its type declarations.
  const config = { connectionString: url, replication: 'database', application_name: 'itops-replication', keepAlive: true, connectionTimeoutMillis: 30_000 };
  const client = new pg.Client(config as pg.ClientConfig);
  const stream = new Stream(client, options.maxBuffered ?? 100_000);
  // A dead socket is reported as the stream's failure, never as an unhandled error.
  client.on('error', (error) => stream.fail(error));
  client.on('end', () => stream.fail(new Error('the replication connection closed')));
  await client.connect();
  const pluginOptions = Object.entries(options.pluginOptions)
    .map(([name, value]) => `${quoteIdentifier(name)} ${quoteLiteral(value)}`)
    .join(', ');
  try {
    await stream.start(`START_REPLICATION SLOT ${quoteIdentifier(options.slot)} LOGICAL 0/0${pluginOptions ? ` (${pluginOptions})` : ''}`);
  } catch (error) {
    await stream.close();
    throw error;
  }
  return stream;
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

class Stream implements ReplicationStream {
  failure: Error | undefined;
  readonly ended: Promise<void>;
  private stopped!: () => void;
  private closing: Promise<unknown> = Promise.resolve();
  private buffered: ReplicationMessage[] = [];
  private head = 0;
  private paused = false;
  private confirmed = 0n;
  /** The furthest WAL position of a message received. */
  private received = 0n;
  private started: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(
    private readonly client: pg.Client,
    private readonly maxBuffered: number,
  ) {
    this.ended = new Promise((resolve) => {
      this.stopped = resolve;
    });
  }

  /** Sends START_REPLICATION as the client's active query, so the CopyData that follows reaches it. */
  start(command: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.started = { resolve, reject };
      this.connection.once('replicationStart', () => {
        this.started = undefined;
        resolve();
      });
      const submittable = {
        submit: (c: Connection) => c.query(command),
        handleCopyData: (message: { chunk: Buffer }) => this.onCopyData(message.chunk),
        handleError: (error: Error) => this.fail(error),
        handleReadyForQuery: () => this.fail(new Error('the server ended the replication stream')),
        handleCommandComplete: () => undefined,
        handleRowDescription: () => undefined,
        handleDataRow: () => undefined,
        handleEmptyQuery: () => undefined,
        handlePortalSuspended: () => undefined,
        handleCopyInResponse: () => undefined,
      };
      this.client.query(submittable as never);
    });
  }

  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    // Whatever stopped the stream, its connection goes too (nothing else can run on it).
    this.closing = this.client.end().catch(() => undefined);
    this.stopped();
    if (this.started) {
      this.started.reject(error);
      this.started = undefined;
    }
  }

  take(max: number): ReplicationMessage[] {
    const taken = this.buffered.slice(this.head, this.head + max);
    this.head += taken.length;
    if (this.head === this.buffered.length) {
      this.buffered = [];
      this.head = 0;
    } else if (this.head > 10_000) {
      this.buffered = this.buffered.slice(this.head);
      this.head = 0;
    }
    if (this.paused && this.buffered.length - this.head < this.maxBuffered / 2) {
      this.paused = false;
      this.connection.stream.resume();
    }
    return taken;
  }

  confirm(lsn: string): void {
    const value = lsnValue(lsn);
    if (value <= this.confirmed) return;
    this.confirmed = value;
    this.sendStatus();
  }

  async close(): Promise<void> {
    this.fail(new Error('the replication stream was closed'));
    await this.closing;
  }

  private onCopyData(chunk: Buffer): void {
    const kind = chunk[0];
    if (kind === 0x77) {
      // 'w' XLogData: the message's start in the WAL, the server's end of WAL, its clock, the message.
      // Copied: the chunk is a view of the parser's buffer, which the next socket read may overwrite.
      const at = chunk.readBigUInt64BE(1);
      if (at > this.received) this.received = at;
      this.buffered.push({ lsn: lsnText(at), data: Buffer.from(chunk.subarray(25)) });
      if (!this.paused && this.buffered.length - this.head >= this.maxBuffered) {
        // The consumer is behind: stop reading and let the server wait rather than hold more here.
        this.paused = true;
        this.connection.stream.pause();
      }
    } else if (kind === 0x6b) {
      // 'k' keepalive: where the server has read the WAL to. With nothing received left unconfirmed,
      // the WAL up to there held nothing for this stream (other databases', unpublished tables'):
      // confirming it lets the slot release that WAL, which it would otherwise keep while nothing
      // published changes. Asked for an answer, one is due anyway (else wal_sender_timeout ends the stream).
      const serverAt = chunk.readBigUInt64BE(1);
      const caughtUp = this.head === this.buffered.length && this.confirmed >= this.received;
      if (caughtUp && serverAt > this.confirmed) {
        this.confirmed = serverAt;
        this.sendStatus();
      } else if (chunk[17] === 1) this.sendStatus();
    }
  }

  /** 'r' standby status update: written, flushed and applied up to the confirmed position. */
  private sendStatus(): void {
    if (this.failure) return;
    const message = Buffer.alloc(34);
    message[0] = 0x72;
    message.writeBigUInt64BE(this.confirmed, 1);
    message.writeBigUInt64BE(this.confirmed, 9);
    message.writeBigUInt64BE(this.confirmed, 17);
    message.writeBigUInt64BE(BigInt(Date.now() - postgresEpochMs) * 1000n, 25);
    this.connection.sendCopyFromChunk(message);
  }

  /** node-postgres's connection under the client (not in its type declarations). */
  private get connection(): Connection {
    return (this.client as unknown as { connection: Connection }).connection;
  }
}

/** The parts of node-postgres's connection the stream uses (not in its type declarations). */
interface Connection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  once(event: 'replicationStart', listener: () => void): void;
  stream: { pause(): void; resume(): void };
}
