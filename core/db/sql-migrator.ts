import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqlHandle } from './sql-handles.ts';
import { tenantIsolationSql } from './tenant-isolation.ts';
import { changeCaptureSql } from './change-capture.ts';
import { schemaChanged } from './preparing-client.ts';

/** A plain SQL migration: `up` runs once, in a transaction; `down` undoes it. */
export interface SqlMigration {
  name: string;
  up: string;
  down?: string;
}

/**
 * The migrations of a folder: every `NNNN-name.sql` in name order, each with its optional
 * `NNNN-name.down.sql`. Names are their order: append, never reorder or edit what shipped.
 */
export function sqlMigrations(folder: URL): SqlMigration[] {
  const base = folder.href.endsWith('/') ? folder : new URL(`${folder.href}/`);
  const dir = fileURLToPath(base);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql') && !f.endsWith('.down.sql'))
    .sort();
  return files.map((file) => {
    const name = file.slice(0, -'.sql'.length);
    const downFile = new URL(`${name}.down.sql`, base);
    let down: string | undefined;
    try {
      down = readFileSync(downFile, 'utf8');
    } catch {
      down = undefined;
    }
    return { name, up: readFileSync(new URL(file, base), 'utf8'), down };
  });
}

const lockKey = 'itops_migrations';

/**
 * Applies the pending migrations of one owner (core, or a plugin: recorded as `<plugin>/<name>`)
 * in one transaction, under an advisory lock so nodes booting together migrate once, then gives
 * every new tenant-scoped table its row-level security policy in the same transaction.
 * The record table is the one earlier versions wrote (`itops_migrations`), so their databases go on.
 */
export async function migrate(owner: SqlHandle, prefix: string, list: SqlMigration[]): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(owner, prefix, list);
    } catch (error) {
      // A migration that changes tables other transactions use (dropping a foreign key locks the
      // referenced table too) can be chosen as a deadlock's victim while the platform runs; it
      // rolled back whole, so it is run again. Other failures are the migration's own.
      if (attempt >= 5 || !lockConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** A deadlock or lock timeout anywhere in the error's causes. */
function lockConflict(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === '40P01' || code === '55P03') return true;
  }
  return false;
}

async function migrateOnce(owner: SqlHandle, prefix: string, list: SqlMigration[]): Promise<string[]> {
  return owner.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext(?))', [lockKey]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS itops_migrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, executed_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await tx.query<{ name: string }>('SELECT name FROM itops_migrations')).map((r) => r.name));
    const applied: string[] = [];
    for (const migration of list) {
      const name = prefix ? `${prefix}/${migration.name}` : migration.name;
      if (done.has(name)) continue;
      try {
        await tx.query(migration.up);
      } catch (error) {
        throw new Error(`migration ${name} failed: ${(error as Error).message}`, { cause: error });
      }
      await tx.query('INSERT INTO itops_migrations (name) VALUES (?)', [name]);
      applied.push(name);
    }
    await tx.query(tenantIsolationSql);
    // And its change-capture trigger, which mutation observers (audit) read.
    await tx.query(changeCaptureSql);
    // Even with nothing applied here: another node may have just migrated what this one now loads.
    tx.afterCommit(schemaChanged);
    return applied;
  });
}

/** Undoes one owner's applied migrations, newest first (a plugin's uninstall, tests). */
export async function migrateDown(owner: SqlHandle, prefix: string, list: SqlMigration[]): Promise<string[]> {
  return owner.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext(?))', [lockKey]);
    const done = new Set((await tx.query<{ name: string }>('SELECT name FROM itops_migrations')).map((r) => r.name));
    const undone: string[] = [];
    for (const migration of [...list].reverse()) {
      const name = prefix ? `${prefix}/${migration.name}` : migration.name;
      if (!done.has(name)) continue;
      if (migration.down) await tx.query(migration.down);
      await tx.query('DELETE FROM itops_migrations WHERE name = ?', [name]);
      undone.push(name);
    }
    tx.afterCommit(schemaChanged);
    return undone;
  });
}
