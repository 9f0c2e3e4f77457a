import type { DatabaseService, SqlHandle, SqlQuery, Tx } from '../db/sql-handles.ts';
import { AppError } from '../errors/app-error.ts';
import type { ListQuery } from '../lists/list-query.ts';
import { likePattern, pageTotal } from '../lists/list-query.ts';
import type { EventsService } from '../plugin-api/index.ts';
import { openSecret, sealSecret } from './envelope.ts';
import type { MasterKeyring } from './master-key.ts';
import { secretReadTopic, secretWrittenTopic } from './secret-topics.ts';

/** A secret as lists show it: never its value. */
export interface SecretListing {
  key: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The workspace a secret belongs to, or null for the platform's own secrets. */
export type SecretOwner = string | null;

export const secretKeyPattern = /^[a-z][a-z0-9_.-]{0,127}$/;
/** Values up to 64 KiB: certificates and keys fit, files do not belong here. */
export const maxSecretBytes = 65_536;

type Row = { key: string; version: number; ciphertext: Buffer; wrapped_key: Buffer; master_key_id: string; created_at: Date; updated_at: Date };
/** What opening a secret needs of its row. */
type SealedRow = Pick<Row, 'version' | 'ciphertext' | 'wrapped_key' | 'master_key_id'>;

const tableOf = (owner: SecretOwner) => (owner === null ? 'platform_secret' : 'workspace_secret');
const listing = (row: Pick<Row, 'key' | 'version' | 'created_at' | 'updated_at'>): SecretListing => ({
  key: row.key,
  version: row.version,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/**
 * Encrypted secrets of the platform and of each workspace. A workspace's secrets are read and
 * written through its own handle (row-level security holds the tenant); the platform's through the
 * platform handle. Every read and write publishes its event in the same transaction.
 */
export class SecretStore {
  constructor(
    private readonly database: DatabaseService,
    private readonly keyring: MasterKeyring,
    private readonly events: Pick<EventsService, 'publish'>,
  ) {}

  private handle(owner: SecretOwner): SqlHandle {
    return owner === null ? this.database.platform : this.database.forTenant(owner);
  }

  async list(owner: SecretOwner, list: ListQuery): Promise<{ data: SecretListing[]; total: number }> {
    const filter = list.q ? `WHERE key ILIKE ? ESCAPE '\\'` : '';
    const params = list.q ? [likePattern(list.q)] : [];
    const { query } = this.handle(owner);
    const rows = await query<Row & { total: string }>(
      `SELECT key, version, created_at, updated_at, count(*) OVER () AS total FROM ${tableOf(owner)} ${filter}
       ORDER BY ${list.orderBy}, key LIMIT ? OFFSET ?`,
      [...params, list.limit, list.offset],
    );
    const total = await pageTotal(rows, list, async () => {
      const [count] = await query<{ count: string }>(`SELECT count(*) FROM ${tableOf(owner)} ${filter}`, params);
      return Number(count.count);
    });
    return { data: rows.map(listing), total };
  }

  /** Sets a secret: a new version sealed under a fresh data key. */
  write(owner: SecretOwner, key: string, value: string, actor: string): Promise<SecretListing> {
    checkKey(key);
    if (Buffer.byteLength(value, 'utf8') > maxSecretBytes) throw new AppError('validation_failed', `A secret holds at most ${maxSecretBytes} bytes`);
    return this.handle(owner).transaction((tx) => this.writeIn(tx, owner, key, value, actor));
  }

  /** Sets a secret inside the caller's transaction (of the same workspace, or a platform one). */
  async writeIn(tx: Tx, owner: SecretOwner, key: string, value: string, actor: string): Promise<SecretListing> {
    checkKey(key);
    const table = tableOf(owner);
    // The row lock orders concurrent writers: each gets its own version.
    const [current] = await tx.query<{ version: number }>(`SELECT version FROM ${table} WHERE key = ? FOR UPDATE`, [key]);
    const version = (current?.version ?? 0) + 1;
    const { id: masterKeyId, key: masterKey } = this.keyring.primary;
    const sealed = sealSecret(masterKey, owner, key, version, value);
    const columns = owner === null ? '' : 'tenant_id, ';
    const values = owner === null ? [] : [owner];
    const [row] = await tx.query<Row>(
      `INSERT INTO ${table} (${columns}key, version, ciphertext, wrapped_key, master_key_id, updated_by)
       VALUES (${values.map(() => '?, ').join('')}?, ?, ?, ?, ?, ?)
       ON CONFLICT (${owner === null ? 'key' : 'tenant_id, key'}) DO UPDATE SET version = excluded.version, ciphertext = excluded.ciphertext,
         wrapped_key = excluded.wrapped_key, master_key_id = excluded.master_key_id, updated_by = excluded.updated_by, updated_at = now()
       RETURNING key, version, created_at, updated_at`,
      [...values, key, version, sealed.ciphertext, sealed.wrappedKey, masterKeyId, actor],
    );
    await this.events.publish(tx, { topic: secretWrittenTopic, tenantId: owner, payload: { scope: scopeOf(owner), key, version, actor } });
    return listing(row);
  }

  /** A secret's value, or undefined when it is not set; the read is published (and commits) first. */
  read(owner: SecretOwner, key: string, actor: string): Promise<string | undefined> {
    return this.handle(owner).transaction((tx) => this.readIn(tx, owner, key, actor));
  }

  /**
   * Opens a sealed row the platform itself reads to deliver (a webhook's signing key on every
   * delivery, a channel's settings on every notification), with no read event: the value never
   * leaves the process, and an event per delivery would flood the audit trail, or feed itself
   * through a webhook subscribed to `secrets.read` (its delivery would publish the next read).
   * A read a request causes goes through `readIn` or `openIn` and is published.
   */
  async openForPlatform(owner: SecretOwner, key: string, row: SealedRow): Promise<string> {
    const masterKey = await this.keyring.key(row.master_key_id);
    return openSecret(masterKey, owner, key, row.version, { ciphertext: row.ciphertext, wrappedKey: row.wrapped_key });
  }

  /** Opens a sealed row the caller selected itself (with others, in one statement), publishing the read like `readIn`. */
  async openIn(tx: Tx, owner: SecretOwner, key: string, row: SealedRow, actor: string): Promise<string> {
    const value = await this.openForPlatform(owner, key, row);
    await this.events.publish(tx, { topic: secretReadTopic, tenantId: owner, payload: { scope: scopeOf(owner), key, version: row.version, actor } });
    return value;
  }

  /**
   * A secret the platform uses without showing it (checking an inbound call's signature), read by
   * name with no read event: unauthenticated callers reach those checks, and an event per call
   * would let anyone grow a workspace's audit trail.
   */
  async readToVerify(owner: SecretOwner, key: string): Promise<string | undefined> {
    const row = await sealedRow(this.handle(owner), owner, key);
    return row ? this.openForPlatform(owner, key, row) : undefined;
  }

  /** Deletes secrets inside the caller's transaction (those of a deleted webhook); published as writes of no value. */
  async deleteIn(tx: Tx, owner: SecretOwner, keys: string[], actor: string): Promise<void> {
    const deleted = await tx.query<{ key: string; version: number }>(`DELETE FROM ${tableOf(owner)} WHERE key = ANY(?::text[]) RETURNING key, version`, [keys]);
    for (const row of deleted) {
      await this.events.publish(tx, {
        topic: secretWrittenTopic,
        tenantId: owner,
        payload: { scope: scopeOf(owner), key: row.key, version: row.version, actor, deleted: true },
      });
    }
  }

  async readIn(tx: Tx, owner: SecretOwner, key: string, actor: string): Promise<string | undefined> {
    const row = await sealedRow(tx, owner, key);
    return row ? this.openIn(tx, owner, key, row, actor) : undefined;
  }
}

/** The sealed row of a secret by its name, or undefined (also for a name no secret can have). */
async function sealedRow(handle: { query: SqlQuery }, owner: SecretOwner, key: string): Promise<SealedRow | undefined> {
  if (!secretKeyPattern.test(key)) return undefined;
  const [row] = await handle.query<SealedRow>(`SELECT version, ciphertext, wrapped_key, master_key_id FROM ${tableOf(owner)} WHERE key = ?`, [key]);
  return row;
}

const scopeOf = (owner: SecretOwner) => (owner === null ? 'platform' : 'workspace');

function checkKey(key: string): void {
  if (!secretKeyPattern.test(key)) {
    throw new AppError('validation_failed', `Secret names match ${secretKeyPattern.source}`, {
      details: [{ path: '/params/key', message: 'invalid secret name' }],
    });
  }
}
