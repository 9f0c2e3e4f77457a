import type { PlatformDatabase, SqlQuery } from '../../../core/plugin-api/index.ts';

/** The workspace's policy (row-level security holds the workspace). */
export async function readRetention(query: SqlQuery): Promise<{ retainDays: number | null; updatedAt: string | null }> {
  const [row] = await query<{ retain_days: number; updated_at: string }>(
    `SELECT retain_days, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at FROM audit_retention`,
  );
  return { retainDays: row?.retain_days ?? null, updatedAt: row?.updated_at ?? null };
}

/**
 * Removes records older than each workspace's policy: the one privileged path past the table's
 * append-only trigger. It runs on the owner's connection (never the application role) and says so
 * for its own transaction (`itops.audit_retention`); it removes the oldest part of the chain only
 * (every record up to the newest expired one), and moves the chain's anchor to the last removed
 * record, so verification starts there and still finds any other gap.
 */
export async function applyRetention(platform: PlatformDatabase): Promise<{ tenantId: string; removed: number }[]> {
  const policies = await platform.query<{ tenant_id: string; retain_days: number }>('SELECT tenant_id, retain_days FROM audit_retention ORDER BY tenant_id');
  const results: { tenantId: string; removed: number }[] = [];
  for (const policy of policies) {
    const removed = await platform.transaction(async (tx) => {
      await tx.query("SELECT set_config('itops.audit_retention', 'on', true)");
      // The head's lock: no record is appended to this chain while its start moves.
      await tx.query('SELECT seq FROM audit_chain_head WHERE tenant_id = ? FOR UPDATE', [policy.tenant_id]);
      const [last] = await tx.query<{ seq: string; hash: string }>(
        `SELECT seq, hash FROM audit_record WHERE tenant_id = ? AND seq IS NOT NULL AND occurred_at < now() - make_interval(days => ?)
         ORDER BY seq DESC LIMIT 1`,
        [policy.tenant_id, policy.retain_days],
      );
      if (!last) return 0;
      const [deleted] = await tx.query<{ count: string }>(
        'WITH d AS (DELETE FROM audit_record WHERE tenant_id = ? AND seq <= ? RETURNING 1) SELECT count(*) AS count FROM d',
        [policy.tenant_id, last.seq],
      );
      await tx.query('UPDATE audit_chain_head SET anchor_seq = ?, anchor_hash = ? WHERE tenant_id = ?', [last.seq, last.hash, policy.tenant_id]);
      return Number(deleted.count);
    });
    results.push({ tenantId: policy.tenant_id, removed });
  }
  return results;
}
