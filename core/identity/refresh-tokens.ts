import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '../errors/app-error.ts';
import type { SqlQuery as Query } from '../db/sql-handles.ts';

const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const invalid = () => new AppError('unauthorized', 'The refresh token is invalid or has expired');

/**
 * Refresh tokens are stored only as hashes, belong to a family started at login, and are single
 * use: each refresh marks the presented token rotated and issues its successor. Presenting a
 * rotated token again means it was copied, so the whole family is revoked (RFC 6819 §5.2.2.3).
 */
export class RefreshTokens {
  constructor(
    private readonly query: Query,
    private readonly ttlDays: number,
  ) {}

  async start(userId: string): Promise<string> {
    return this.issue(userId, randomUUID());
  }

  /** Returns the user and a new token; the presented one can never be used again. */
  async rotate(token: string): Promise<{ userId: string; token: string }> {
    const hash = digest(token);
    // Claim the token atomically: only one concurrent refresh can succeed.
    const [claimed] = await this.query<{ user_id: string; family_id: string }>(
      `UPDATE refresh_token SET rotated_at = now()
       WHERE token_hash = ? AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
       RETURNING user_id, family_id`,
      [hash],
    );
    if (claimed) return { userId: claimed.user_id, token: await this.issue(claimed.user_id, claimed.family_id) };
    const [known] = await this.query<{ family_id: string; rotated_at: Date | null }>('SELECT family_id, rotated_at FROM refresh_token WHERE token_hash = ?', [
      hash,
    ]);
    if (known?.rotated_at) await this.revokeFamily(known.family_id);
    throw invalid();
  }

  async revoke(token: string): Promise<void> {
    const [known] = await this.query<{ family_id: string }>('SELECT family_id FROM refresh_token WHERE token_hash = ?', [digest(token)]);
    if (known) await this.revokeFamily(known.family_id);
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await this.query('UPDATE refresh_token SET revoked_at = now() WHERE family_id = ? AND revoked_at IS NULL', [familyId]);
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
