import { randomUUID } from 'node:crypto';
import { definePlugin, type SecretsService, tokens } from '../plugin-api/index.ts';
import { type CallOptions, call } from '../plugin-api/testing.ts';
import type { Kernel } from '../kernel/kernel.ts';

/** A plugin that only hands out its view of the secrets store, for tests that read as a plugin would. */
export function secretsProbePlugin(id = 'vault_probe') {
  const probe: { secrets?: SecretsService } = {};
  const manifest = definePlugin({
    id,
    version: '1.0.0',
    host: '*',
    init(ctx) {
      probe.secrets = ctx.get(tokens.secrets);
    },
  });
  return {
    manifest,
    get secrets(): SecretsService {
      if (!probe.secrets) throw new Error(`plugin ${id} is not loaded`);
      return probe.secrets;
    },
  };
}

type Query = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

/**
 * Every row of every table of the schema as text, the way a data dump holds it (`COPY` writes each
 * column's text form; bytea as hex). Used to show no plaintext secret is stored anywhere.
 */
export async function dumpAllRows(query: Query): Promise<string> {
  const tables = await query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1`,
  );
  const parts: string[] = [];
  for (const { name } of tables) {
    const rows = await query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
    parts.push(`-- ${name}`, ...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

/** A call with a fresh Idempotency-Key: the workspace API's writes require one (seed 003). */
export function send(kernel: Kernel, method: string, urlPath: string, options: CallOptions = {}) {
  return call(kernel, method, urlPath, { ...options, headers: { 'idempotency-key': randomUUID(), ...options.headers } });
}

/**
 * Runs `write` as a database from before migration 0018 holds its rows (plaintext in the old
 * columns), then puts the check back NOT VALID, as the migration left it for the boot to validate.
 */
export async function asBeforeSealing<T>(query: Query, check: { table: string; constraint: string }, write: () => Promise<T>): Promise<T> {
  const [{ definition }] = await query<{ definition: string }>(
    'SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conname = ? AND conrelid = to_regclass(?)',
    [check.constraint, check.table],
  );
  await query(`ALTER TABLE ${check.table} DROP CONSTRAINT ${check.constraint}`);
  const result = await write();
  await query(`ALTER TABLE ${check.table} ADD CONSTRAINT ${check.constraint} ${definition.replace(/ NOT VALID$/, '')} NOT VALID`);
  return result;
}

/** Whether PostgreSQL has validated the check (every row satisfies it). */
export async function isValidated(query: Query, check: { table: string; constraint: string }): Promise<boolean> {
  const [row] = await query<{ valid: boolean }>('SELECT convalidated AS valid FROM pg_constraint WHERE conname = ? AND conrelid = to_regclass(?)', [
    check.constraint,
    check.table,
  ]);
  return row?.valid === true;
}
