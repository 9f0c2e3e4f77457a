import type { PlatformDatabase, ReplicationMessage, ReplicationStream } from '../../../core/plugin-api/index.ts';
import { columnTypes, type DecodedTransaction, PgoutputDecoder, type StreamRow } from './pgoutput.ts';
import { type ChangeReader, pastPosition } from './slot-reader.ts';

/** pgoutput as the readers ask for it: protocol 1, the publication's tables, logical messages too. */
export function pgoutputOptions(publication: string): Record<string, string> {
  return { proto_version: '1', publication_names: publication, messages: 'true' };
}

/**
 * Reads a slot as SlotReader does (same results, same exactly-once contract with the caller), over
 * the streaming replication protocol: the server decodes each transaction once, as it commits,
 * and keeps the stream open between reads; `release` confirms a position instead of advancing the
 * slot (which decoded everything a second time). While this reader holds the slot, any other
 * reader of it (another node's, the SQL interface's) is refused with 55006 until it closes.
 */
export class StreamReader implements ChangeReader {
  private stream: ReplicationStream | undefined;
  private decoder: PgoutputDecoder | undefined;
  /** Messages of a transaction whose commit has not arrived yet. */
  private partial: ReplicationMessage[] = [];

  constructor(
    private readonly platform: PlatformDatabase,
    private readonly slot: string,
    private readonly publication: string,
  ) {}

  async read(after: string | null, limit: number, withMessage?: string): Promise<{ transactions: DecodedTransaction[]; through: string | null }> {
    const stream = await this.open().catch((error: { code?: string }) => {
      // Another node's reader holds the slot: it writes the records, this node's round has nothing to do.
      if (error.code === '55006') return undefined;
      throw error;
    });
    if (!stream) return { transactions: [], through: null };
    const messages = this.partial.concat(stream.take(limit));
    let end = messages.length;
    while (end > 0 && messages[end - 1].data[0] !== 0x43) end--; // up to the last 'C'ommit
    this.partial = messages.slice(end);
    // pgoutput sends a transaction whole between its Begin and its Commit; only Begin names its xid.
    let xid = '';
    const rows: StreamRow[] = [];
    for (let i = 0; i < end; i++) {
      const { lsn, data } = messages[i];
      if (data[0] === 0x42) xid = String(data.readUInt32BE(17)); // 'B': final LSN, commit time, xid
      rows.push({ xid, lsn, data });
    }
    return pastPosition(this.decoder?.decode(rows, withMessage) ?? [], end > 0 ? messages[end - 1].lsn : null, after);
  }

  async release(lsn: string): Promise<void> {
    this.stream?.confirm(lsn);
  }

  async close(): Promise<void> {
    await this.stream?.close();
    this.stream = undefined;
  }

  /** The open stream, or a new one after the last ended (what it had not confirmed comes again). */
  private async open(): Promise<ReplicationStream> {
    if (this.stream && !this.stream.failure) return this.stream;
    await this.stream?.close();
    this.stream = undefined;
    this.partial = [];
    // A new session describes every relation again before its first row.
    this.decoder = new PgoutputDecoder(await columnTypes((sql, params) => this.platform.query(sql, params)));
    this.stream = await this.platform.logicalReplication({ slot: this.slot, pluginOptions: pgoutputOptions(this.publication) });
    return this.stream;
  }
}
