import type { SqlQuery as Query } from '../db/sql-handles.ts';

export interface RateDecision {
  allowed: boolean;
  retryAfterSeconds: number;
}

/** What this node holds of one bucket's current window. */
interface Lease {
  limit: number;
  /** When the window ends, on this node's clock (never later than the database's end). */
  endsAt: number;
  /** Hits this node may still admit in the window without asking the database. */
  tokens: number;
  /** The database had no more for this window: refuse until it ends, without asking again. */
  exhausted: boolean;
  /** The claim in flight, shared by every hit that finds the lease empty meanwhile. */
  claiming?: Promise<void>;
}

/** A node claims this share of a window's limit at a time (one token at a time up to 20 per window). */
export const leaseShare = 20;
const maxLeases = 10_000;

/**
 * Fixed-window limits shared by every node through PostgreSQL (`rate_limit_window`), without a
 * write per hit: a node claims a slice of the window's budget, ceil(limit / 20), in one upsert and
 * admits hits from it locally, claiming the next slice when it runs out.
 *
 * Bounds, per bucket and window: slices are claimed atomically, so the nodes together never admit
 * more than the limit. The error goes the other way: a slice claimed and not spent before the
 * window ends is lost to the other nodes, so with N nodes a bucket may be refused after
 * limit - (N - 1) * ceil(limit / 20) admissions (5 % of the limit per other node). Limits up to 20
 * per window claim one token per hit, exactly as strict as a write per hit (the login limits).
 * Old windows are removed now and then by whoever claims next.
 */
export class RateLimiter {
  private lastSweep = 0;
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly query: Query) {}

  async hit(bucket: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    for (;;) {
      let lease = this.leases.get(bucket);
      const now = Date.now();
      if (lease && (lease.endsAt <= now || lease.limit !== limit) && !lease.claiming) {
        this.leases.delete(bucket);
        lease = undefined;
      }
      if (lease && lease.endsAt > now && lease.limit === limit) {
        if (lease.tokens > 0) {
          lease.tokens -= 1;
          return { allowed: true, retryAfterSeconds: 0 };
        }
        if (lease.exhausted) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((lease.endsAt - now) / 1000)) };
      }
      if (lease?.claiming) {
        await lease.claiming;
        continue;
      }
      // Nothing left here for this window: claim the next slice; hits arriving meanwhile wait for it.
      const fresh: Lease = lease ?? { limit, endsAt: 0, tokens: 0, exhausted: false };
      fresh.claiming = this.claim(bucket, fresh, limit, windowSeconds).finally(() => {
        fresh.claiming = undefined;
      });
      this.remember(bucket, fresh);
      await fresh.claiming;
    }
  }

  private async claim(bucket: string, lease: Lease, limit: number, windowSeconds: number): Promise<void> {
    const wanted = Math.max(1, Math.ceil(limit / leaseShare));
    const sent = Date.now();
    const [row] = await this.query<{ hits: number; remaining_ms: number }>(
      `INSERT INTO rate_limit_window AS w (bucket, window_start, hits)
       VALUES (?, to_timestamp(floor(extract(epoch FROM clock_timestamp()) / ?) * ?), ?)
       ON CONFLICT (bucket, window_start) DO UPDATE SET hits = w.hits + excluded.hits
       RETURNING hits, (extract(epoch FROM w.window_start) + ? - extract(epoch FROM clock_timestamp())) * 1000 AS remaining_ms`,
      [bucket, windowSeconds, windowSeconds, wanted, windowSeconds],
    );
    this.sweep();
    // `hits` counts what every node claimed, granted or not; this claim got what was left before it.
    const granted = Math.min(wanted, Math.max(0, limit - (Number(row.hits) - wanted)));
    // Measured from before the statement was sent, so the lease never outlives the database's window.
    lease.endsAt = sent + Math.max(0, Number(row.remaining_ms));
    lease.limit = limit;
    lease.tokens = granted;
    lease.exhausted = granted < wanted;
  }

  private remember(bucket: string, lease: Lease): void {
    if (this.leases.size >= maxLeases && !this.leases.has(bucket)) {
      const now = Date.now();
      for (const [key, held] of this.leases) if (held.endsAt <= now && !held.claiming) this.leases.delete(key);
      // Still full of live windows: forget the oldest; its unspent tokens are lost (never over-admitted).
      if (this.leases.size >= maxLeases) {
        const oldest = this.leases.keys().next().value;
        if (oldest !== undefined) this.leases.delete(oldest);
      }
    }
    this.leases.set(bucket, lease);
  }

  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    this.query("DELETE FROM rate_limit_window WHERE window_start < now() - interval '1 hour'").catch(() => undefined);
  }
}
