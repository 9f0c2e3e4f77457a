import type { PlatformDatabase } from '../../../core/plugin-api/index.ts';

/**
 * Daily partitions of `aiops_point`. The ingest asks for the days a batch touches before it
 * writes; each process remembers the days it has made, so the catalog is asked once per day.
 * A partition made at run time gets the same row-level security policy the kernel gives tables
 * after migrations (a partition read directly must not show another workspace's rows).
 */
const dayMs = 86_400_000;

export function partitionName(day: number): string {
  return `aiops_point_p${new Date(day * dayMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

export class PointPartitions {
  private readonly known = new Set<number>();
  private readonly pending = new Map<number, Promise<void>>();

  constructor(private readonly platform: PlatformDatabase) {}

  /** Makes sure a partition exists for every day of `timestampsMs` (epoch milliseconds). */
  async ensureFor(timestampsMs: Iterable<number>): Promise<void> {
    const days = new Set<number>();
    for (const ms of timestampsMs) {
      const day = Math.floor(ms / dayMs);
      if (!this.known.has(day)) days.add(day);
    }
    await Promise.all([...days].map((day) => this.ensureDay(day)));
  }

  private ensureDay(day: number): Promise<void> {
    let running = this.pending.get(day);
    if (!running) {
      running = this.create(day).finally(() => this.pending.delete(day));
      this.pending.set(day, running);
    }
    return running;
  }

  private async create(day: number): Promise<void> {
    const name = partitionName(day);
    const from = new Date(day * dayMs).toISOString();
    const to = new Date((day + 1) * dayMs).toISOString();
    try {
      await this.platform.transaction(async (tx) => {
        // Two nodes may race for the same day: the lock makes the second see the first's table.
        await tx.query('SELECT pg_advisory_xact_lock(hashtext(?))', [name]);
        const [exists] = await tx.query<{ found: boolean }>('SELECT to_regclass(?) IS NOT NULL AS found', [name]);
        if (exists.found) return;
        await tx.query(`CREATE TABLE ${name} PARTITION OF aiops_point FOR VALUES FROM ('${from}') TO ('${to}')`);
        await tx.query(`ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY`);
        await tx.query(
          `CREATE POLICY tenant_isolation ON ${name} USING (tenant_id = nullif(current_setting('itops.tenant_id', true), '')) WITH CHECK (tenant_id = nullif(current_setting('itops.tenant_id', true), ''))`,
        );
        await tx.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${name} TO itops_app`);
      });
      this.known.add(day);
    } catch (error) {
      // Rows of that day already sit in the default partition (the table cannot be made until
      // they move): keep writing there rather than refusing telemetry.
      if ((error as { code?: string }).code === '23514') {
        this.known.add(day);
        return;
      }
      throw error;
    }
  }

  /** Drops the daily partitions wholly older than `keepDays` days before `now`; returns their names. */
  async dropOlderThan(now: Date, keepDays: number): Promise<string[]> {
    const cutoffDay = Math.floor(now.getTime() / dayMs) - keepDays;
    const rows = await this.platform.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'aiops_point'::regclass AND c.relname ~ '^aiops_point_p[0-9]{8}$' ORDER BY c.relname`,
    );
    const dropped: string[] = [];
    for (const { name } of rows) {
      const stamp = name.slice('aiops_point_p'.length);
      const day = Date.UTC(Number(stamp.slice(0, 4)), Number(stamp.slice(4, 6)) - 1, Number(stamp.slice(6, 8))) / dayMs;
      if (day >= cutoffDay) continue;
      await this.platform.query(`DROP TABLE IF EXISTS ${name}`);
      this.known.delete(day);
      dropped.push(name);
    }
    // Rows that fell into the default partition age out by row.
    await this.platform.query('DELETE FROM aiops_point_default WHERE ts < ?', [new Date(cutoffDay * dayMs).toISOString()]);
    return dropped;
  }
}
