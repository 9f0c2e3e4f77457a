import type { DatabaseService } from '../db/sql-handles.ts';

/** The checks (migration 0018) that the columns secrets lived in before the secrets store stay empty. */
export const plaintextColumnChecks = {
  webhooks: { table: 'webhook_subscription', constraint: 'webhook_subscription_secret_sealed' },
  channels: { table: 'notification_channel', constraint: 'notification_channel_url_sealed' },
} as const;

/**
 * Validates a NOT VALID check once the boot sealing emptied its columns, so the database itself
 * states that no old row keeps a plaintext secret (and a later migration may drop the columns).
 * Another node booting at the same time may still hold rows it is sealing: validation then fails
 * on them and is left to the next boot. Returns whether the constraint is valid.
 */
export async function confirmSealed(database: Pick<DatabaseService, 'platform'>, check: { table: string; constraint: string }): Promise<boolean> {
  const [row] = await database.platform.query<{ valid: boolean }>(
    'SELECT convalidated AS valid FROM pg_constraint WHERE conname = ? AND conrelid = to_regclass(?)',
    [check.constraint, check.table],
  );
  if (!row || row.valid) return Boolean(row);
  try {
    await database.platform.query(`ALTER TABLE ${check.table} VALIDATE CONSTRAINT ${check.constraint}`);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '23514') return false;
    throw error;
  }
}
