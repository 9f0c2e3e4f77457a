import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import type { RateLimiter } from '../auth/rate-limiter.ts';
import type { Principal } from '../plugin-api/index.ts';
import { roleOfScope } from '../rbac/roles.ts';
import type { DatabaseService, Tx } from '../db/sql-handles.ts';
import type { PublishAccessChange } from './refresh-tokens.ts';
import type { RecordSecurityEvent } from './security-events.ts';

export interface ApiKeyRecord {
  key_id: string;
  tenant_id: string;
  name: string;
  scope: string;
  prefix: string;
  rate_limit_rps: number;
  expires_at: Date | null;
  revoked_at: Date | null;
  created_at: Date;
  /** `user:<id>` or `api_key:<key id>`: whose permissions bound the key's. */
  created_by: string;
}

/**
 * What bounds a key: the role its creating user holds in the workspace now, and what one role holds
 * beyond another. A key is usable only while its scope is within its creator's current permissions.
 */
export interface KeyBounds {
  roleOfUser(userId: string, tenantId: string): Promise<string | undefined>;
  shortfall(holderRole: string, wantedRole: string, tenantId: string): string[];
}

const columns = 'key_id, tenant_id, name, scope, prefix, rate_limit_rps, expires_at, revoked_at, created_at, created_by';
// A chain of keys made by keys longer than this is refused rather than followed.
const maxChain = 8;

const digest = (key: string) => createHash('sha256').update(key).digest('hex');
const token = (bytes: number) => randomBytes(bytes).toString('base64url').replace(/[-_]/g, '').slice(0, bytes);
/**
 * How long a node trusts what it looked up about a key. A revocation (or a creator's lost role) is
 * announced to every node as an access change, which drops the entry at once; this bounds how long
 * a key could still act on a node that missed the announcement (its bus connection was down).
 */
export const apiKeyCacheMs = 5_000;

/** Unrevoked keys of the workspace made by `creator` (`user:<id>` or `api_key:<id>`), and the keys those made, and so on. */
export async function keysBoundBy(tx: Pick<Tx, 'query'>, tenantId: string, creator: string): Promise<string[]> {
  const rows = await tx.query<{ key_id: string }>(
    `WITH RECURSIVE bound(key_id) AS (
       SELECT key_id FROM api_key WHERE tenant_id = ? AND created_by = ? AND revoked_at IS NULL
       UNION
       SELECT k.key_id FROM api_key k JOIN bound b ON k.created_by = 'api_key:' || b.key_id WHERE k.tenant_id = ? AND k.revoked_at IS NULL
     )
     SELECT key_id FROM bound`,
    [tenantId, creator, tenantId],
  );
  return rows.map((r) => r.key_id);
}

/**
 * API keys for agents, CronJobs and scripts: `itops_<secret>`, shown once, stored as a SHA-256
 * hash (the secret has 256 bits, so a fast hash is enough), bound to one workspace and scope.
 */
export class ApiKeys {
  private readonly cache = new Map<string, { record: ApiKeyRecord | undefined; until: number }>();
  private readonly byId = new Map<string, { record: ApiKeyRecord | undefined; until: number }>();

  constructor(
    private readonly database: DatabaseService,
    private readonly limiter: RateLimiter,
    private readonly bounds: KeyBounds,
    private readonly publish: PublishAccessChange,
    private readonly security?: RecordSecurityEvent,
  ) {}

  async create(input: {
    tenantId: string;
    name: string;
    scope: string;
    rateLimitRps: number;
    expiresAt?: Date;
    createdBy: string;
  }): Promise<{ record: ApiKeyRecord; apiKey: string }> {
    const apiKey = `itops_${token(43)}`;
    const keyId = `itops_key_${token(12).toLowerCase()}`;
    const record = await this.database.forTenant(input.tenantId).transaction(async (tx) => {
      const [created] = await tx.query<ApiKeyRecord>(
        `INSERT INTO api_key (key_id, tenant_id, name, scope, prefix, key_hash, rate_limit_rps, expires_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING ${columns}`,
        [keyId, input.tenantId, input.name, input.scope, apiKey.slice(0, 12), digest(apiKey), input.rateLimitRps, input.expiresAt ?? null, input.createdBy],
      );
      await this.security?.(tx, {
        topic: 'security.api_key_created',
        tenantId: input.tenantId,
        payload: { keyId, name: input.name, scope: input.scope, createdBy: input.createdBy, expiresAt: input.expiresAt?.toISOString() ?? null },
      });
      return created;
    });
    return { record, apiKey };
  }

  list(tenantId: string): Promise<ApiKeyRecord[]> {
    return this.database.forTenant(tenantId).query<ApiKeyRecord>(`SELECT ${columns} FROM api_key ORDER BY created_at DESC`);
  }

  /** Revokes the key (and so the keys it made): refused at once here, on other nodes within the bus's delay. */
  async revoke(tenantId: string, keyId: string): Promise<boolean> {
    // The platform handle, because the access change is an event without a tenant; both statements name it.
    const rows = await this.database.platform.transaction(async (tx) => {
      const revoked = await tx.query<{ key_hash: string }>(
        'UPDATE api_key SET revoked_at = now() WHERE key_id = ? AND tenant_id = ? AND revoked_at IS NULL RETURNING key_hash',
        [keyId, tenantId],
      );
      if (revoked.length > 0) {
        await this.publish(tx, { reason: 'api_key_revoked', tenantId, keyIds: [keyId, ...(await keysBoundBy(tx, tenantId, `api_key:${keyId}`))] });
        await this.security?.(tx, { topic: 'security.api_key_revoked', tenantId, payload: { keyId } });
      }
      return revoked;
    });
    for (const row of rows) this.cache.delete(row.key_hash);
    this.byId.delete(keyId);
    return rows.length > 0;
  }

  /** Drops what this node remembers of keys (another node revoked one, or a creator's role changed). */
  forget(keyIds?: string[]): void {
    if (!keyIds) {
      this.cache.clear();
      this.byId.clear();
      return;
    }
    for (const id of keyIds) this.byId.delete(id);
    for (const [hash, entry] of this.cache) if (entry.record && keyIds.includes(entry.record.key_id)) this.cache.delete(hash);
  }

  /**
   * Why the key may not act now, or undefined when it may: revoked, expired, or its creator (a user,
   * or the key that made it, itself bound the same way) no longer holds every permission of its scope.
   */
  private async unusable(record: ApiKeyRecord | undefined, depth = 0): Promise<string | undefined> {
    if (!record || record.revoked_at) return 'The API key is invalid or has been revoked';
    if (record.expires_at && new Date(record.expires_at).getTime() <= Date.now()) return 'The API key has expired';
    const role = roleOfScope(record.scope);
    const creatorRole = await this.creatorRole(record, depth);
    if (!role || !creatorRole || this.bounds.shortfall(creatorRole, role, record.tenant_id).length > 0) {
      return "The API key's creator no longer holds its permissions in this workspace";
    }
    return undefined;
  }

  private async creatorRole(record: ApiKeyRecord, depth: number): Promise<string | undefined> {
    const at = record.created_by.indexOf(':');
    const kind = record.created_by.slice(0, at);
    const id = record.created_by.slice(at + 1);
    if (kind === 'user') return this.bounds.roleOfUser(id, record.tenant_id);
    if (kind !== 'api_key' || depth >= maxChain) return undefined;
    const parent = await this.remembered(this.byId, id, `SELECT ${columns} FROM api_key WHERE key_id = ?`);
    if (!parent || parent.tenant_id !== record.tenant_id || (await this.unusable(parent, depth + 1))) return undefined;
    return roleOfScope(parent.scope);
  }

  private async remembered(
    cache: Map<string, { record: ApiKeyRecord | undefined; until: number }>,
    key: string,
    sql: string,
  ): Promise<ApiKeyRecord | undefined> {
    let cached = cache.get(key);
    if (!cached || cached.until < Date.now()) {
      // The key names its workspace: it is found across all of them, before any is known.
      const [record] = await this.database.platform.query<ApiKeyRecord>(sql, [key]);
      cached = { record, until: Date.now() + apiKeyCacheMs };
      if (cache.size > 50_000) cache.clear();
      cache.set(key, cached);
    }
    return cached.record;
  }

  /** The principal a key stands for; refuses unknown, revoked, expired and outranked keys and enforces the key's rate. */
  async authenticate(apiKey: string): Promise<Principal> {
    const record = await this.remembered(this.cache, digest(apiKey), `SELECT ${columns} FROM api_key WHERE key_hash = ?`);
    const refusal = await this.unusable(record);
    if (refusal || !record) throw new AppError('unauthorized', refusal ?? 'The API key is invalid or has been revoked');
    const rate = await this.limiter.hit(`key:${record.key_id}`, record.rate_limit_rps, 1);
    if (!rate.allowed) {
      throw new AppError('rate_limited', `This API key is limited to ${record.rate_limit_rps} requests per second`, {
        headers: { 'Retry-After': String(rate.retryAfterSeconds) },
      });
    }
    return {
      kind: 'api_key',
      id: record.key_id,
      name: record.name,
      tenantId: record.tenant_id,
      memberships: [{ tenantId: record.tenant_id, role: roleOfScope(record.scope) ?? 'none' }],
      platformAdmin: false,
    };
  }
}
