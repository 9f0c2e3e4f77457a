import type { DatabaseService, Tx } from '../db/sql-handles.ts';
import type { SecretStore } from '../secrets/secret-store.ts';

/**
 * Where a subscription's signing secrets live in the workspace's encrypted secrets: names no plugin
 * can write (a plugin's are `<pluginId>.<name>`, and plugin ids have no hyphen). The previous secret
 * is kept only while a rotation's grace period lasts.
 */
export const signingKeyPrefix = 'webhook-signing.';
export const signingKey = (subscriptionId: string) => `${signingKeyPrefix}${subscriptionId}`;
export const previousKey = (subscriptionId: string) => `${signingKeyPrefix}${subscriptionId}.previous`;

/**
 * Seals the plaintext secrets of subscriptions made before secrets moved into the store, and clears
 * the plaintext. Runs at boot; concurrent nodes skip each other's rows.
 */
export async function sealPlaintextWebhookSecrets(database: Pick<DatabaseService, 'platform'>, store: SecretStore): Promise<number> {
  return database.platform.transaction(async (tx: Tx) => {
    const rows = await tx.query<{ id: string; tenant_id: string; secret: string; previous_secret: string | null }>(
      'SELECT id, tenant_id, secret, previous_secret FROM webhook_subscription WHERE secret IS NOT NULL FOR UPDATE SKIP LOCKED',
    );
    for (const row of rows) {
      await store.writeIn(tx, row.tenant_id, signingKey(row.id), row.secret, 'core:webhooks');
      if (row.previous_secret) await store.writeIn(tx, row.tenant_id, previousKey(row.id), row.previous_secret, 'core:webhooks');
      await tx.query('UPDATE webhook_subscription SET secret = NULL, previous_secret = NULL WHERE id = ?', [row.id]);
    }
    return rows.length;
  });
}
