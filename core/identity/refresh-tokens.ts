import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import type { AccessChange } from '../auth/access-change.ts';
import type { SqlHandle, Tx } from '../db/sql-handles.ts';

/** Publishes an access change in the transaction that makes it (and applies it on this node at commit). */
export type PublishAccessChange = (tx: Tx, change: AccessChange) => Promise<void>;

const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const invalid = () => new AppError('unauthorized', 'The refresh token is invalid or has expired');

/**
 * Refresh tokens are stored only as hashes, belong to a family started at login, and are single
 * use: each refresh marks the presented token rotated and issues its successor. Presenting a
 * rotated token again means it was copied, so the whole family is revoked (RFC 6819 §5.2.2.3).
 */
export class RefreshTokens {
  private readonly query: SqlHandle['query'];

  constructor(
    private readonly database: SqlHandle,
    private readonly ttlDays: number,
    private readonly publish: PublishAccessChange,
  ) {
    this.query = database.query;
  }

  /** A new session: its first refresh token and the family id access tokens name as their session. */
  async start(userId: string): Promise<{ token: string; sessionId: string }> {
    const sessionId = randomUUID();
    return { token: await this.issue(userId, sessionId), sessionId };
  }

  /** Returns the user and a new token; the presented one can never be used again. */
  async rotate(token: string): Promise<{ userId: string; token: string; sessionId: string }> {
    const hash = digest(token);
    // Claim the token atomically: only one concurrent refresh can succeed.
    const [claimed] = await this.query<{ user_id: string; family_id: string }>(
      `UPDATE refresh_token SET rotated_at = now()
       WHERE token_hash = ? AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
       RETURNING user_id, family_id`,
      [hash],
    );
    if (claimed) return { userId: claimed.user_id, token: await this.issue(claimed.user_id, claimed.family_id), sessionId: claimed.family_id };
    const [known] = await this.query<{ family_id: string; rotated_at: Date | null }>('SELECT family_id, rotated_at FROM refresh_token WHERE token_hash = ?', [
      hash,
    ]);
    if (known?.rotated_at) await this.revokeFamily(known.family_id, 'session_revoked');
    throw invalid();
  }

  async revoke(token: string): Promise<void> {
    const [known] = await this.query<{ family_id: string }>('SELECT family_id FROM refresh_token WHERE token_hash = ?', [digest(token)]);
    if (known) await this.revokeFamily(known.family_id, 'logout');
  }

  /** Sessions ended within `seconds`: their access tokens may not have expired yet. */
  async endedWithin(seconds: number): Promise<{ sessionId: string; revokedAt: Date }[]> {
    const rows = await this.query<{ family_id: string; revoked_at: Date }>(
      `SELECT family_id, max(revoked_at) AS revoked_at FROM refresh_token
       WHERE revoked_at > now() - make_interval(secs => ?) GROUP BY family_id`,
      [seconds],
    );
    return rows.map((r) => ({ sessionId: r.family_id, revokedAt: new Date(r.revoked_at) }));
  }

  /** Ends the session: its refresh tokens now, its access tokens (and open streams) on every node. */
  private async revokeFamily(familyId: string, reason: 'logout' | 'session_revoked'): Promise<void> {
    await this.database.transaction(async (tx) => {
      const rows = await tx.query<{ user_id: string }>(
        'UPDATE refresh_token SET revoked_at = now() WHERE family_id = ? AND revoked_at IS NULL RETURNING user_id',
        [familyId],
      );
      if (rows.length > 0) await this.publish(tx, { reason, userIds: [rows[0].user_id], sessionIds: [familyId] });
    });
  }

  private async issue(userId: string, familyId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.query(`INSERT INTO refresh_token (token_hash, family_id, user_id, expires_at) VALUES (?, ?, ?, now() + make_interval(days => ?))`, [
      digest(token),
      familyId,
      userId,
      this.ttlDays,
    ]);
    return token;
  }
}
