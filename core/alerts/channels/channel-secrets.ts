import type { DatabaseService, Tx } from '../../db/sql-handles.ts';
import type { SecretStore } from '../../secrets/secret-store.ts';
import type { ChannelConfig, ChannelType } from './channel-type.ts';
import { channelType, channelTypes } from './index.ts';

/**
 * A channel's secret settings (webhook URLs that carry their token, API keys, bot tokens: the fields
 * its type marks `secret`) live sealed in the workspace's secrets store, one secret per channel; the
 * row keeps the rest. The name has a hyphen, which no plugin's secret names can have.
 */
export const channelSecretPrefix = 'channel-secret.';
export const channelSecretKey = (channelId: string) => `${channelSecretPrefix}${channelId}`;

type SealedRow = { version: number; ciphertext: Buffer; wrapped_key: Buffer; master_key_id: string };

/** The settings split by the type's `secret` marks. */
export function splitConfig(type: ChannelType | undefined, config: ChannelConfig): { plain: ChannelConfig; secret: ChannelConfig } {
  const secretNames = new Set((type?.fields ?? []).filter((f) => f.secret).map((f) => f.name));
  const plain: ChannelConfig = {};
  const secret: ChannelConfig = {};
  for (const [name, value] of Object.entries(config)) {
    if (value === undefined) continue;
    (secretNames.has(name) ? secret : plain)[name] = value;
  }
  return { plain, secret };
}

const same = (a: ChannelConfig, b: ChannelConfig) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

/**
 * Reads and writes channels' secret settings. Reads a request causes (to show a mask, to merge a
 * change) are published as reads of the caller; sending a notification is the platform's own use
 * and publishes none (see `SecretStore.openForPlatform`). Every change is a published write.
 */
export class ChannelSecrets {
  constructor(private readonly store: SecretStore) {}

  /** Seals the secret part of `config` when it changed (or deletes it when none is left); returns the part the row keeps. */
  async save(
    tx: Tx,
    tenantId: string,
    channelId: string,
    type: ChannelType,
    config: ChannelConfig,
    current: ChannelConfig,
    actor: string,
  ): Promise<ChannelConfig> {
    const { plain, secret } = splitConfig(type, config);
    const key = channelSecretKey(channelId);
    if (Object.keys(secret).length === 0) await this.store.deleteIn(tx, tenantId, [key], actor);
    else if (!same(secret, current)) await this.store.writeIn(tx, tenantId, key, JSON.stringify(secret), actor);
    return plain;
  }

  async delete(tx: Tx, tenantId: string, channelId: string, actor: string): Promise<void> {
    await this.store.deleteIn(tx, tenantId, [channelSecretKey(channelId)], actor);
  }

  /**
   * The secret settings of the given channels of one workspace, by channel id, in one statement,
   * read on `actor`'s behalf: each one found is a published read in the caller's transaction.
   */
  async readFor(tx: Tx, tenantId: string, channelIds: string[], actor: string): Promise<Map<string, ChannelConfig>> {
    const found = new Map<string, ChannelConfig>();
    if (channelIds.length === 0) return found;
    const rows = await tx.query<SealedRow & { key: string }>(
      'SELECT key, version, ciphertext, wrapped_key, master_key_id FROM workspace_secret WHERE key = ANY(?::text[])',
      [channelIds.map(channelSecretKey)],
    );
    for (const row of rows) {
      const channelId = row.key.slice(channelSecretPrefix.length);
      found.set(channelId, JSON.parse(await this.store.openIn(tx, tenantId, row.key, row, actor)) as ChannelConfig);
    }
    return found;
  }

  /** One channel's secret settings from its sealed row (the notifier reads it with its claim). */
  async open(tenantId: string, channelId: string, row: SealedRow): Promise<ChannelConfig> {
    return JSON.parse(await this.store.openForPlatform(tenantId, channelSecretKey(channelId), row)) as ChannelConfig;
  }
}

/** Every field name any channel type marks secret, and the original `url` column. */
const secretFieldNames = [...new Set(channelTypes.flatMap((t) => t.fields.filter((f) => f.secret).map((f) => f.name)))];

/**
 * Seals the secret settings of channels made before they moved into the secrets store (kept in the
 * row's `config`, or in its original `url` column), and clears them from the row. Runs at boot;
 * concurrent nodes skip each other's rows.
 */
export async function sealPlaintextChannelSecrets(database: Pick<DatabaseService, 'platform'>, store: SecretStore): Promise<number> {
  return database.platform.transaction(async (tx) => {
    const rows = await tx.query<{ id: string; tenant_id: string; type: string; url: string | null; config: ChannelConfig }>(
      'SELECT id, tenant_id, type, url, config FROM notification_channel WHERE url IS NOT NULL OR jsonb_exists_any(config, ?::text[]) FOR UPDATE SKIP LOCKED',
      [secretFieldNames],
    );
    let sealed = 0;
    for (const row of rows) {
      const type = channelType(row.type);
      const { plain, secret } = splitConfig(type, { ...(row.url ? { url: row.url } : {}), ...(row.config ?? {}) });
      if (Object.keys(secret).length === 0) continue;
      await store.writeIn(tx, row.tenant_id, channelSecretKey(row.id), JSON.stringify(secret), 'core:alerts');
      await tx.query('UPDATE notification_channel SET config = ?::jsonb, url = NULL WHERE id = ?', [JSON.stringify(plain), row.id]);
      sealed += 1;
    }
    return sealed;
  });
}
