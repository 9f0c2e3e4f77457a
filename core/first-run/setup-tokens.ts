import { createHash, randomBytes } from 'node:crypto';
import type { PlatformDatabase, Tx } from '../db/sql-handles.ts';

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * One-time tokens of the first-run link. Only a hash is stored: the printed link is the one place
 * the token exists. A token stays valid until it is used; using any of them ends them all.
 */
export class SetupTokens {
  constructor(private readonly platform: PlatformDatabase) {}

  async issue(): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.platform.query('INSERT INTO setup_token (token_hash) VALUES (?)', [hashOf(token)]);
    return token;
  }

  async isValid(token: string): Promise<boolean> {
    const rows = await this.platform.query('SELECT 1 FROM setup_token WHERE token_hash = ? AND used_at IS NULL', [hashOf(token)]);
    return rows.length > 0;
  }

  /** Uses the token up inside `tx`; false when it is unknown or used. */
  async consume(tx: Tx, token: string): Promise<boolean> {
    const used = await tx.query('UPDATE setup_token SET used_at = now() WHERE token_hash = ? AND used_at IS NULL RETURNING token_hash', [hashOf(token)]);
    if (used.length === 0) return false;
    await tx.query('UPDATE setup_token SET used_at = now() WHERE used_at IS NULL');
    return true;
  }
}
