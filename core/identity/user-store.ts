import { randomUUID } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import { hashPassword } from '../auth/passwords.ts';
import type { DatabaseService, SqlQuery } from '../db/sql-handles.ts';
import { keysBoundBy } from './api-keys.ts';
import type { PublishAccessChange } from './refresh-tokens.ts';
import type { RecordSecurityEvent } from './security-events.ts';

export interface UserAccess {
  id: string;
  email: string;
  platformAdmin: boolean;
  disabled: boolean;
  memberships: { tenantId: string; role: string }[];
}

const cacheMs = 5_000;

/**
 * Users and their memberships. What a request needs to know about its user (memberships, admin
 * flag, disabled) is cached for a few seconds per process; changes made here drop the entry at once.
 * Users are platform-wide and a login must find the user and all its memberships before any
 * workspace is known, so those reads run on the platform handle; changing one workspace's
 * membership runs as that workspace.
 */
export class UserStore {
  private readonly cache = new Map<string, { value: UserAccess | undefined; until: number }>();
  private readonly query: SqlQuery;

  constructor(
    private readonly database: DatabaseService,
    private readonly publish: PublishAccessChange,
    private readonly security?: RecordSecurityEvent,
  ) {
    this.query = database.platform.query;
  }

  async create(input: { email: string; password: string; platformAdmin?: boolean }): Promise<{ id: string; email: string }> {
    const id = randomUUID();
    const passwordHash = await hashPassword(input.password);
    const rows = await this.query<{ id: string }>(
      'INSERT INTO app_user (id, email, password_hash, platform_admin) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id',
      [id, input.email, passwordHash, input.platformAdmin ?? false],
    );
    if (rows.length === 0) throw new AppError('conflict', `A user with the email ${input.email} already exists`);
    return { id, email: input.email };
  }

  async findForLogin(email: string): Promise<{ id: string; email: string; passwordHash: string; disabled: boolean } | undefined> {
    const [row] = await this.query<{ id: string; email: string; password_hash: string; disabled: boolean }>(
      'SELECT id, email, password_hash, disabled FROM app_user WHERE lower(email) = lower(?)',
      [email],
    );
    return row && { id: row.id, email: row.email, passwordHash: row.password_hash, disabled: row.disabled };
  }

  async access(userId: string): Promise<UserAccess | undefined> {
    const cached = this.cache.get(userId);
    if (cached && cached.until > Date.now()) return cached.value;
    const rows = await this.query<{ id: string; email: string; platform_admin: boolean; disabled: boolean; tenant_id: string | null; role: string | null }>(
      `SELECT u.id, u.email, u.platform_admin, u.disabled, m.tenant_id, m.role
       FROM app_user u LEFT JOIN membership m ON m.user_id = u.id WHERE u.id = ?`,
      [userId],
    );
    const value: UserAccess | undefined = rows[0] && {
      id: rows[0].id,
      email: rows[0].email,
      platformAdmin: rows[0].platform_admin,
      disabled: rows[0].disabled,
      memberships: rows.filter((r) => r.tenant_id).map((r) => ({ tenantId: r.tenant_id as string, role: r.role as string })),
    };
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(userId, { value, until: Date.now() + cacheMs });
    return value;
  }

  /**
   * Adds a membership or changes its role (only changes it with `existingOnly`; false if there is none). A changed role is published as an access change (in the
   * same transaction) with the keys the user made there, which are bound by the new role. It runs
   * on the platform handle because that event has no tenant; every statement names the tenant.
   */
  async setMembership(userId: string, tenantId: string, role: string, options: { existingOnly?: boolean } = {}): Promise<boolean> {
    const done = await this.database.platform.transaction(async (tx) => {
      const [before] = await tx.query<{ role: string }>('SELECT role FROM membership WHERE user_id = ? AND tenant_id = ? FOR UPDATE', [userId, tenantId]);
      if (!before && options.existingOnly) return false;
      await tx.query('INSERT INTO membership (user_id, tenant_id, role) VALUES (?, ?, ?) ON CONFLICT (user_id, tenant_id) DO UPDATE SET role = excluded.role', [
        userId,
        tenantId,
        role,
      ]);
      if (before && before.role !== role) {
        await this.publish(tx, { reason: 'member_changed', tenantId, userIds: [userId], keyIds: await keysBoundBy(tx, tenantId, `user:${userId}`) });
      }
      if (before?.role !== role)
        await this.security?.(tx, { topic: 'security.role_changed', tenantId, payload: { userId, role, previousRole: before?.role ?? null } });
      return true;
    });
    this.cache.delete(userId);
    return done;
  }

  async removeMembership(userId: string, tenantId: string): Promise<boolean> {
    const removed = await this.database.platform.transaction(async (tx) => {
      const rows = await tx.query('DELETE FROM membership WHERE user_id = ? AND tenant_id = ? RETURNING user_id', [userId, tenantId]);
      if (rows.length > 0) {
        await this.publish(tx, { reason: 'member_removed', tenantId, userIds: [userId], keyIds: await keysBoundBy(tx, tenantId, `user:${userId}`) });
        await this.security?.(tx, { topic: 'security.member_removed', tenantId, payload: { userId } });
      }
      return rows.length > 0;
    });
    this.cache.delete(userId);
    return removed;
  }

  /** Drops what this node cached about these users (their access changed, maybe on another node). */
  forget(userIds: string[]): void {
    for (const id of userIds) this.cache.delete(id);
  }

  async count(): Promise<number> {
    const [row] = await this.query<{ count: string }>('SELECT count(*) FROM app_user');
    return Number(row.count);
  }

  async findIdByEmail(email: string): Promise<string | undefined> {
    const [row] = await this.query<{ id: string }>('SELECT id FROM app_user WHERE lower(email) = lower(?)', [email]);
    return row?.id;
  }
}
