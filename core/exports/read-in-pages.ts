import { randomBytes } from 'node:crypto';
import type { Tx } from '../db/sql-handles.ts';

/**
 * A query's rows in pages through a server-side cursor of the transaction: an export of a million
 * rows holds one page at a time, and sees one consistent snapshot (no keyset paging to get wrong).
 * For an import kind's `read`: `read: (tx) => readInPages(tx, 'SELECT … ORDER BY name')`.
 */
export async function* readInPages<Row = Record<string, unknown>>(tx: Tx, sql: string, params: unknown[] = [], pageSize = 1000): AsyncGenerator<Row[]> {
  const cursor = `pages_${randomBytes(8).toString('hex')}`;
  await tx.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${sql}`, params);
  try {
    while (true) {
      const rows = await tx.query<Row>(`FETCH FORWARD ${Math.max(1, Math.trunc(pageSize))} FROM ${cursor}`);
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
    }
  } finally {
    await tx.query(`CLOSE ${cursor}`).catch(() => undefined);
  }
}
