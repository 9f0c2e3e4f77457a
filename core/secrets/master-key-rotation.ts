import type { PlatformDatabase } from '../db/sql-handles.ts';
import type { EventsService } from '../plugin-api/index.ts';
import { rewrapBodyKey } from '../idempotency/sealed-response.ts';
import { rewrap } from './envelope.ts';
import type { MasterKeyring } from './master-key.ts';
import { masterKeyRotatedTopic } from './secret-topics.ts';

type Wrapped = { tenant_id: string | null; key: string; wrapped_key: Buffer; master_key_id: string };

/**
 * Re-wraps every data key not wrapped by `to` so that `to` alone opens every secret. One
 * transaction over both tables (rows locked as they are read): either every key moves or none
 * does, so a failure halfway never leaves secrets under a key the operator is about to discard.
 * Values are not touched: their ciphertext stays byte for byte what it was. `rewrapped` counts
 * secrets; the data keys of stored idempotent responses move too.
 */
export async function rewrapAll(
  platform: PlatformDatabase,
  keyring: MasterKeyring,
  to: { id: string; key: Buffer },
  events: Pick<EventsService, 'publish'>,
): Promise<{ rewrapped: number; from: string[] }> {
  return platform.transaction(async (tx) => {
    const rows = await tx.query<Wrapped>(
      `SELECT NULL::text AS tenant_id, key, wrapped_key, master_key_id FROM platform_secret WHERE master_key_id <> ? FOR UPDATE`,
      [to.id],
    );
    rows.push(
      ...(await tx.query<Wrapped>(`SELECT tenant_id, key, wrapped_key, master_key_id FROM workspace_secret WHERE master_key_id <> ? FOR UPDATE`, [to.id])),
    );
    const from = new Set<string>();
    for (const row of rows) {
      const wrappedKey = rewrap(await keyring.key(row.master_key_id), to.key, row.tenant_id, row.key, row.wrapped_key);
      from.add(row.master_key_id);
      if (row.tenant_id === null) {
        await tx.query('UPDATE platform_secret SET wrapped_key = ?, master_key_id = ? WHERE key = ?', [wrappedKey, to.id, row.key]);
      } else {
        await tx.query('UPDATE workspace_secret SET wrapped_key = ?, master_key_id = ? WHERE tenant_id = ? AND key = ?', [
          wrappedKey,
          to.id,
          row.tenant_id,
          row.key,
        ]);
      }
    }
    // Stored idempotent responses are sealed the same way: a retry after the rotation still replays.
    // Expired ones go rather than move (no retry replays them).
    await tx.query('DELETE FROM idempotency_record WHERE expires_at <= now()');
    const responses = await tx.query<{ scope: string; idempotency_key: string; response_key: Buffer; response_master_key_id: string }>(
      'SELECT scope, idempotency_key, response_key, response_master_key_id FROM idempotency_record WHERE response_master_key_id <> ? FOR UPDATE',
      [to.id],
    );
    for (const row of responses) {
      const wrappedKey = rewrapBodyKey(await keyring.key(row.response_master_key_id), to.key, row.scope, row.idempotency_key, row.response_key);
      from.add(row.response_master_key_id);
      await tx.query('UPDATE idempotency_record SET response_key = ?, response_master_key_id = ? WHERE scope = ? AND idempotency_key = ?', [
        wrappedKey,
        to.id,
        row.scope,
        row.idempotency_key,
      ]);
    }
    await events.publish(tx, { topic: masterKeyRotatedTopic, tenantId: null, payload: { from: [...from].sort(), to: to.id, rewrapped: rows.length } });
    return { rewrapped: rows.length, from: [...from].sort() };
  });
}
