import type { SqlQuery as Query } from '../db/sql-handles.ts';
import type { MasterKeyring } from '../secrets/master-key.ts';
import { openBody, sealBody } from './sealed-response.ts';

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | null;
}

export type Claim = { kind: 'new' } | { kind: 'replay'; response: StoredResponse } | { kind: 'in_progress' } | { kind: 'mismatch' };

/** Kept at least this long (published in the README), as Stripe and the IETF draft recommend. */
export const retentionHours = 24;

/**
 * A database session that lasts as long as this node (its event listener's), if connected: its
 * `pg_backend_pid()` and when it began (ISO 8601, to the microsecond), which tells it from a later
 * session given the same pid. Read once when the session connects, not looked up per claim.
 */
export type NodeSession = () => { pid: number; startedAt: string } | undefined;

/**
 * Idempotency records in PostgreSQL, so a retry reaching any node finds the first execution. The
 * insert that claims a key is atomic: of many identical concurrent requests exactly one runs.
 * A claim names the claiming node's database session: once PostgreSQL no longer knows that session
 * (the node was killed or lost the database), a retry takes the key over and runs it, rather than
 * answering 409 until the record expires. What it cannot know is whether the dead node's handler
 * committed in the instant between its commit and storing the answer.
 *
 * Bodies are stored sealed under the master keyring (sealed-response.ts): a response that shows a
 * secret once would otherwise keep it in plaintext until the record expires.
 */
export class IdempotencyStore {
  private lastSweep = 0;

  constructor(
    private readonly query: Query,
    private readonly keyring: MasterKeyring,
    private readonly session: NodeSession = () => undefined,
  ) {}

  async claim(scope: string, key: string, requestHash: string): Promise<Claim> {
    this.sweep();
    const session = this.session();
    const pid = session?.pid ?? null;
    const startedAt = session?.startedAt ?? null;
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await this.query(
        `INSERT INTO idempotency_record (scope, idempotency_key, request_hash, state, expires_at, claimed_pid, claimed_backend_start)
         VALUES (?, ?, ?, 'running', now() + make_interval(hours => ?), ?::integer, ?::timestamptz) ON CONFLICT DO NOTHING RETURNING 1`,
        [scope, key, requestHash, retentionHours, pid, startedAt],
      );
      if (inserted.length > 0) return { kind: 'new' };
      const [row] = await this.query<{
        request_hash: string;
        state: string;
        response_status: number;
        response_headers: Record<string, string>;
        response_body: Buffer | null;
        response_key: Buffer | null;
        response_master_key_id: string | null;
        expired: boolean;
      }>(
        `SELECT request_hash, state, response_status, response_headers, response_body, response_key, response_master_key_id, expires_at < now() AS expired
         FROM idempotency_record WHERE scope = ? AND idempotency_key = ?`,
        [scope, key],
      );
      if (!row) continue;
      if (row.expired) {
        await this.query('DELETE FROM idempotency_record WHERE scope = ? AND idempotency_key = ? AND expires_at < now()', [scope, key]);
        continue;
      }
      if (row.request_hash !== requestHash) return { kind: 'mismatch' };
      if (row.state === 'running') return (await this.takeOverFromTheDead(scope, key, pid, startedAt)) ? { kind: 'new' } : { kind: 'in_progress' };
      const body =
        row.response_body && row.response_key && row.response_master_key_id
          ? await openBody(this.keyring, scope, key, { ciphertext: row.response_body, wrappedKey: row.response_key, masterKeyId: row.response_master_key_id })
          : row.response_body;
      return { kind: 'replay', response: { status: row.response_status, headers: row.response_headers ?? {}, body } };
    }
    return { kind: 'in_progress' };
  }

  /**
   * Claims a running key whose claiming session PostgreSQL no longer has. Of concurrent retries one
   * wins: the others find the key claimed by a live session once the winner's update committed.
   */
  private async takeOverFromTheDead(scope: string, key: string, pid: number | null, startedAt: string | null): Promise<boolean> {
    const taken = await this.query(
      `UPDATE idempotency_record r SET claimed_pid = ?::integer, claimed_backend_start = ?::timestamptz
       WHERE scope = ? AND idempotency_key = ? AND state = 'running' AND claimed_backend_start IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = r.claimed_pid AND a.backend_start = r.claimed_backend_start)
       RETURNING 1`,
      [pid, startedAt, scope, key],
    );
    return taken.length > 0;
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    const sealed = response.body ? sealBody(this.keyring, scope, key, response.body) : null;
    await this.query(
      `UPDATE idempotency_record SET state = 'completed', response_status = ?, response_headers = ?, response_body = ?,
         response_key = ?, response_master_key_id = ?
       WHERE scope = ? AND idempotency_key = ?`,
      [response.status, JSON.stringify(response.headers), sealed?.ciphertext ?? null, sealed?.wrappedKey ?? null, sealed?.masterKeyId ?? null, scope, key],
    );
  }

  /**
   * Seals the bodies stored in plaintext before bodies were sealed (migration 0017), so they replay
   * as before and no longer sit readable in the database. Runs at boot; concurrent nodes skip each
   * other's rows.
   */
  async sealStoredInPlaintext(): Promise<number> {
    const rows = await this.query<{ scope: string; idempotency_key: string; response_body: Buffer }>(
      `SELECT scope, idempotency_key, response_body FROM idempotency_record
       WHERE response_body IS NOT NULL AND response_key IS NULL AND expires_at > now()`,
    );
    for (const row of rows) {
      const sealed = sealBody(this.keyring, row.scope, row.idempotency_key, row.response_body);
      // Only if still plaintext: another node booting now may have sealed it first.
      await this.query(
        `UPDATE idempotency_record SET response_body = ?, response_key = ?, response_master_key_id = ?
         WHERE scope = ? AND idempotency_key = ? AND response_key IS NULL`,
        [sealed.ciphertext, sealed.wrappedKey, sealed.masterKeyId, row.scope, row.idempotency_key],
      );
    }
    await this.query('DELETE FROM idempotency_record WHERE response_body IS NOT NULL AND response_key IS NULL AND expires_at <= now()');
    return rows.length;
  }

  /** The first execution failed without an answer worth keeping: let a retry run again. */
  async release(scope: string, key: string): Promise<void> {
    await this.query("DELETE FROM idempotency_record WHERE scope = ? AND idempotency_key = ? AND state = 'running'", [scope, key]);
  }

  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    this.query('DELETE FROM idempotency_record WHERE expires_at < now()').catch(() => undefined);
  }
}
