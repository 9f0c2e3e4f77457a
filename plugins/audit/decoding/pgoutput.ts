import type { RowChange, SqlQuery } from '../../../core/plugin-api/index.ts';
import { type ColumnType, jsonValue } from './text-values.ts';

/**
 * Reads PostgreSQL's logical replication protocol (`pgoutput`, protocol version 1, text values) as
 * the SQL interface hands it out (`pg_logical_slot_*_binary_changes`: one message per row, with its
 * transaction id): the row changes of each committed transaction, with their old rows where the
 * table's replica identity is FULL, and the transaction's logical messages. This is the first part
 * of recording audit trails from the WAL instead of a row trigger (docs/audit-cost.md).
 */

/** A committed transaction as decoded: its row changes in order and its logical messages by prefix. */
export interface DecodedTransaction {
  xid: string;
  /** Where its commit is in the WAL (`X/Y`), when the stream rows carried their LSNs. */
  commitLsn?: string;
  /** When it committed (ISO 8601, to the microsecond). */
  committedAt?: string;
  changes: RowChange[];
  messages: { prefix: string; content: string }[];
}

interface Relation {
  table: string;
  columns: { name: string; typeOid: number }[];
}

/** One message of a change stream, as `pg_logical_slot_get_binary_changes` returns it. */
export interface StreamRow {
  xid: string;
  data: Buffer;
  lsn?: string;
}

/**
 * Decodes change streams. It keeps the relations announced (pgoutput describes a table once per
 * decoding session, before its first row), so one decoder serves consecutive reads of a slot.
 * `typeOf` names a column's type by its OID (from pg_type); an unknown type keeps its text.
 */
export class PgoutputDecoder {
  private readonly relations = new Map<number, Relation>();

  constructor(private readonly typeOf: (oid: number) => ColumnType | undefined) {}

  /**
   * The transactions of consecutive stream rows, in commit order (the order the slot hands them out).
   * With `withMessage`, only the transactions that carry a logical message of that prefix have their
   * rows decoded (the others' are skipped unread; relations are still noted).
   */
  decode(rows: readonly StreamRow[], withMessage?: string): DecodedTransaction[] {
    const wanted = withMessage === undefined ? undefined : transactionsWithMessage(rows, withMessage);
    const transactions = new Map<string, DecodedTransaction>();
    const of = (xid: string) => {
      let found = transactions.get(xid);
      if (!found) {
        found = { xid, changes: [], messages: [] };
        transactions.set(xid, found);
      }
      return found;
    };
    for (const { xid, data, lsn } of rows) {
      const reader = new Reader(data);
      const kind = String.fromCharCode(reader.byte());
      if (wanted && !wanted.has(xid) && kind !== 'R') continue;
      switch (kind) {
        case 'R':
          this.readRelation(reader);
          break;
        case 'I': {
          const relation = this.relation(reader.int32());
          reader.byte(); // 'N'
          of(xid).changes.push({ table: relation.table, op: 'insert', before: null, after: this.tuple(reader, relation, null) });
          break;
        }
        case 'U': {
          const relation = this.relation(reader.int32());
          let before: Record<string, unknown> | null = null;
          const part = String.fromCharCode(reader.byte());
          if (part === 'O' || part === 'K') {
            before = this.tuple(reader, relation, null);
            reader.byte(); // 'N'
          }
          of(xid).changes.push({ table: relation.table, op: 'update', before, after: this.tuple(reader, relation, before) });
          break;
        }
        case 'D': {
          const relation = this.relation(reader.int32());
          reader.byte(); // 'O' or 'K'
          of(xid).changes.push({ table: relation.table, op: 'delete', before: this.tuple(reader, relation, null), after: null });
          break;
        }
        case 'M': {
          reader.byte(); // flags: transactional (non-transactional messages are not asked for)
          reader.skip(8); // its LSN
          const prefix = reader.cString();
          const length = reader.int32();
          of(xid).messages.push({ prefix, content: reader.text(length) });
          break;
        }
        case 'B': {
          reader.skip(8); // the commit's LSN (the C row's carries it too)
          of(xid).committedAt = postgresTime(reader.int64());
          break;
        }
        case 'C':
          if (lsn !== undefined) of(xid).commitLsn = lsn;
          break;
        // Y (type), O(rigin), T(runcate): nothing a row's record needs.
      }
    }
    return [...transactions.values()].filter((t) => t.changes.length > 0 || t.messages.length > 0);
  }

  private readRelation(reader: Reader): void {
    const oid = reader.int32();
    reader.cString(); // namespace
    const table = reader.cString();
    reader.byte(); // replica identity
    const count = reader.int16();
    const columns: Relation['columns'] = [];
    for (let i = 0; i < count; i++) {
      reader.byte(); // flags (part of the key)
      const name = reader.cString();
      const typeOid = reader.int32();
      reader.skip(4); // type modifier
      columns.push({ name, typeOid });
    }
    this.relations.set(oid, { table, columns });
  }

  private relation(oid: number): Relation {
    const relation = this.relations.get(oid);
    if (!relation) throw new Error(`pgoutput sent a row of relation ${oid} before describing it`);
    return relation;
  }

  /** A row: each column by name; an unchanged TOAST value ('u') taken from the old row when there is one. */
  private tuple(reader: Reader, relation: Relation, old: Record<string, unknown> | null): Record<string, unknown> {
    const count = reader.int16();
    const row: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) {
      const column = relation.columns[i];
      const kind = String.fromCharCode(reader.byte());
      if (kind === 'n') row[column.name] = null;
      else if (kind === 'u') row[column.name] = old ? old[column.name] : undefined;
      else {
        const text = reader.text(reader.int32());
        row[column.name] = kind === 't' ? jsonValue(text, this.typeOf(column.typeOid)) : text;
      }
    }
    return row;
  }
}

/** The transactions (by xid) with a logical message of `prefix`: a pass over the messages' first bytes only. */
function transactionsWithMessage(rows: readonly StreamRow[], prefix: string): Set<string> {
  const found = new Set<string>();
  const wanted = Buffer.from(`${prefix}\0`);
  // 'M', its flags (1 byte) and LSN (8), then the prefix as a C string.
  for (const { xid, data } of rows) if (data[0] === 0x4d && data.subarray(10, 10 + wanted.length).equals(wanted)) found.add(xid);
  return found;
}

/** PostgreSQL's timestamps count microseconds from 2000-01-01 UTC; as ISO 8601 to the microsecond. */
function postgresTime(micros: bigint): string {
  const sinceUnix = micros + 946_684_800_000_000n;
  const ms = sinceUnix / 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 23)}${String(sinceUnix - ms * 1000n).padStart(3, '0')}Z`;
}

class Reader {
  private at = 0;
  constructor(private readonly data: Buffer) {}
  byte(): number {
    return this.data[this.at++];
  }
  int16(): number {
    const value = this.data.readInt16BE(this.at);
    this.at += 2;
    return value;
  }
  int32(): number {
    const value = this.data.readInt32BE(this.at);
    this.at += 4;
    return value;
  }
  int64(): bigint {
    const value = this.data.readBigInt64BE(this.at);
    this.at += 8;
    return value;
  }
  skip(bytes: number): void {
    this.at += bytes;
  }
  cString(): string {
    const end = this.data.indexOf(0, this.at);
    const value = this.data.toString('utf8', this.at, end);
    this.at = end + 1;
    return value;
  }
  text(length: number): string {
    const value = this.data.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }
}

/** Every type of the database by OID, for the decoder (a domain reads as its base type). */
export async function columnTypes(query: SqlQuery): Promise<(oid: number) => ColumnType | undefined> {
  const rows = await query<{ oid: number; typname: string; typcategory: string; typelem: number; typbasetype: number }>(
    'SELECT oid::int AS oid, typname, typcategory, typelem::int AS typelem, typbasetype::int AS typbasetype FROM pg_type',
  );
  const byOid = new Map(rows.map((r) => [r.oid, r]));
  const types = new Map<number, ColumnType | undefined>();
  const typeOf = (oid: number, depth = 0): ColumnType | undefined => {
    if (types.has(oid)) return types.get(oid);
    const row = byOid.get(oid);
    let type: ColumnType | undefined;
    if (row && row.typbasetype !== 0 && depth < 8) type = typeOf(row.typbasetype, depth + 1);
    else if (row)
      type = {
        category: row.typcategory,
        name: row.typname,
        element: row.typcategory === 'A' && row.typelem !== 0 ? typeOf(row.typelem, depth + 1) : undefined,
      };
    types.set(oid, type);
    return type;
  };
  return (oid) => typeOf(oid);
}
