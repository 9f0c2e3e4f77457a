import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import type { RateLimiter } from '../auth/rate-limiter.ts';
import type { Principal } from '../plugin-api/index.ts';
import { roleOfScope } from '../rbac/roles.ts';
import type { DatabaseService } from '../db/sql-handles.ts';

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
}

const digest = (key: string) => createHash('sha256').update(key).digest('hex');
const token = (bytes: number) => randomBytes(bytes).toString('base64url').replace(/[-_]/g, '').slice(0, bytes);
const cacheMs = 5_000;

/**
 * API keys for agents, CronJobs and scripts: `itops_<secret>`, shown once, stored as a SHA-256
 * hash (the secret has 256 bits, so a fast hash is enough), bound to one workspace and scope.
 */
export class ApiKeys {
  private readonly cache = new Map<string, { record: ApiKeyRecord | undefined; until: number }>();

  constructor(
    private readonly database: DatabaseService,
    private readonly limiter: RateLimiter,
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
    const [record] = await this.database.forTenant(input.tenantId).query<ApiKeyRecord>(
      `INSERT INTO api_key (key_id, tenant_id, name, scope, prefix, key_hash, rate_limit_rps, expires_at, created_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       RETURNING key_id, tenant_id, name, scope, prefix, rate_limit_rps, expires_at, revoked_at, created_at`,
      [keyId, input.tenantId, input.name, input.scope, apiKey.slice(0, 12), digest(apiKey), input.rateLimitRps, input.expiresAt ?? null, input.createdBy],
    );
    return { record, apiKey };
  }

  list(tenantId: string): Promise<ApiKeyRecord[]> {
    return this.database
      .forTenant(tenantId)
      .query<ApiKeyRecord>(
        'SELECT key_id, tenant_id, name, scope, prefix, rate_limit_rps, expires_at, revoked_at, created_at FROM api_key ORDER BY created_at DESC',
      );
  }

  async revoke(tenantId: string, keyId: string): Promise<boolean> {
    const rows = await this.database
      .forTenant(tenantId)
      .query<{ key_hash: string }>('UPDATE api_key SET revoked_at = now() WHERE key_id = ? AND revoked_at IS NULL RETURNING key_hash', [keyId]);
    for (const row of rows) this.cache.delete(row.key_hash);
    return rows.length > 0;
  }

  /** The principal a key stands for; refuses unknown, revoked and expired keys and enforces the key's rate. */
  async authenticate(apiKey: string): Promise<Principal> {
    const hash = digest(apiKey);
    let cached = this.cache.get(hash);
    if (!cached || cached.until < Date.now()) {
      // The key names its workspace: it is found across all of them, before any is known.
      const [record] = await this.database.platform.query<ApiKeyRecord>(
        'SELECT key_id, tenant_id, name, scope, prefix, rate_limit_rps, expires_at, revoked_at, created_at FROM api_key WHERE key_hash = ?',
        [hash],
      );
      cached = { record, until: Date.now() + cacheMs };
      if (this.cache.size > 50_000) this.cache.clear();
      this.cache.set(hash, cached);
    }
    const record = cached.record;
    if (!record || record.revoked_at) throw new AppError('unauthorized', 'The API key is invalid or has been revoked');
    if (record.expires_at && new Date(record.expires_at).getTime() <= Date.now()) throw new AppError('unauthorized', 'The API key has expired');
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
