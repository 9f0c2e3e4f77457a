import type { Tx } from '../db/sql-handles.ts';
import { AppError } from '../errors/app-error.ts';
import type { ImportKindDeclaration } from '../plugin-api/index.ts';

export interface ParsedRow {
  row: number;
  value: Record<string, unknown>;
}

export interface RowProblem {
  field: string;
  reason: string;
}

/** What a failed upsert tells the user: the plugin's own problems (each field's), or PostgreSQL's message (a constraint, a type). */
export function reasonsOf(error: unknown): RowProblem[] {
  if (error instanceof AppError) {
    const details = (Array.isArray(error.details) ? error.details : []) as { path?: string; message?: string }[];
    const problems = details
      .filter((d) => d.message)
      .map((d) => ({ field: (d.path ?? '').replace(/^\/?(body\/)?/, '').replaceAll('/', '.'), reason: d.message as string }));
    return problems.length > 0 ? problems : [{ field: '', reason: error.message }];
  }
  const pg = error as { message?: string; column?: string };
  return [{ field: pg.column ?? '', reason: (pg.message ?? String(error)).slice(0, 500) }];
}

/**
 * Hands one batch to the kind's upsert under a savepoint. When the batch fails, it is rolled back
 * to the savepoint and its rows retried one by one (each under its own savepoint), so the report
 * names the rows at fault and the good rows of the batch are still written. Returns rows written.
 */
export async function writeBatch(
  tx: Tx,
  kind: ImportKindDeclaration,
  batch: ParsedRow[],
  reject: (row: number, problems: RowProblem[]) => Promise<void>,
): Promise<number> {
  await tx.query('SAVEPOINT import_batch');
  try {
    await kind.upsert(
      tx,
      batch.map((item) => item.value),
    );
    await tx.query('RELEASE SAVEPOINT import_batch');
    return batch.length;
  } catch {
    await tx.query('ROLLBACK TO SAVEPOINT import_batch');
  }
  let written = 0;
  for (const item of batch) {
    await tx.query('SAVEPOINT import_row');
    try {
      await kind.upsert(tx, [item.value]);
      await tx.query('RELEASE SAVEPOINT import_row');
      written += 1;
    } catch (error) {
      await tx.query('ROLLBACK TO SAVEPOINT import_row');
      await reject(item.row, reasonsOf(error));
    }
  }
  await tx.query('RELEASE SAVEPOINT import_batch');
  return written;
}
