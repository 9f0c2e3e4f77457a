import type { SqlQuery as Query } from '../db/sql-handles.ts';

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | null;
}

export type Claim = { kind: 'new' } | { kind: 'replay'; response: StoredResponse } | { kind: 'in_progress' } | { kind: 'mismatch' };

/** Kept at least this long (published in the README), as Stripe and the IETF draft recommend. */
export const retentionHours = 24;

/**
 * Idempotency records in PostgreSQL, so a retry reaching any node finds the first execution. The
 * insert that claims a key is atomic: of many identical concurrent requests exactly one runs.
 */
export class IdempotencyStore {
  private lastSweep = 0;

  constructor(private readonly query: Query) {}

  async claim(scope: string, key: string, requestHash: string): Promise<Claim> {
    this.sweep();
    for (let attempt = 0; attempt < 2; attempt++) {
      const inserted = await this.query(
        `INSERT INTO idempotency_record (scope, idempotency_key, request_hash, state, expires_at)
         VALUES (?, ?, ?, 'running', now() + make_interval(hours => ?)) ON CONFLICT DO NOTHING RETURNING 1`,
        [scope, key, requestHash, retentionHours],
      );
      if (inserted.length > 0) return { kind: 'new' };
      const [row] = await this.query<{
        request_hash: string;
        state: string;
        response_status: number;
        response_headers: Record<string, string>;
        response_body: Buffer | null;
        expired: boolean;
      }>(
        `SELECT request_hash, state, response_status, response_headers, response_body, expires_at < now() AS expired
         FROM idempotency_record WHERE scope = ? AND idempotency_key = ?`,
        [scope, key],
      );
      if (!row) continue;
      if (row.expired) {
        await this.query('DELETE FROM idempotency_record WHERE scope = ? AND idempotency_key = ? AND expires_at < now()', [scope, key]);
        continue;
      }
      if (row.request_hash !== requestHash) return { kind: 'mismatch' };
      if (row.state === 'running') return { kind: 'in_progress' };
      return { kind: 'replay', response: { status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body } };
    }
    return { kind: 'in_progress' };
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    await this.query(
      `UPDATE idempotency_record SET state = 'completed', response_status = ?, response_headers = ?, response_body = ?
       WHERE scope = ? AND idempotency_key = ?`,
      [response.status, JSON.stringify(response.headers), response.body, scope, key],
    );
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
