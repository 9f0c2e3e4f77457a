import type { SqlQuery as Query } from '../db/sql-handles.ts';

export interface RateDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

/**
 * Fixed-window counters in PostgreSQL, so a limit holds across every node: one upsert per hit.
 * Old windows are removed now and then by whoever hits next.
 */
export class RateLimiter {
  private lastSweep = 0;

  constructor(private readonly query: Query) {}

  async hit(bucket: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    const [row] = await this.query<{ hits: number; window_start: Date }>(
      `INSERT INTO rate_limit_window AS w (bucket, window_start, hits)
       VALUES (?, to_timestamp(floor(extract(epoch FROM clock_timestamp()) / ?) * ?), 1)
       ON CONFLICT (bucket, window_start) DO UPDATE SET hits = w.hits + 1
       RETURNING hits, window_start`,
      [bucket, windowSeconds, windowSeconds],
    );
    this.sweep();
    if (row.hits <= limit) return { allowed: true, retryAfterSeconds: 0 };
    const windowEnds = new Date(row.window_start).getTime() + windowSeconds * 1000;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((windowEnds - Date.now()) / 1000)) };
  }

  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    this.query("DELETE FROM rate_limit_window WHERE window_start < now() - interval '1 hour'").catch(() => undefined);
  }
}
