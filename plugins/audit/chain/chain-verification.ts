import type { SqlHandle, SqlQuery } from '../../../core/plugin-api/index.ts';

/** Where a chain first stops being what was written. */
export interface BrokenLink {
  seq: number;
  recordId: string | null;
  /**
   * `record_altered`: the record's content no longer matches its hash (edited in place);
   * `link_broken`: its previous-hash is not the hash of the record before it (a record before it was
   * replaced, or the chain was re-hashed from here); `records_missing`: sequence numbers are missing
   * before it (deleted records); `tail_missing`: the newest records are gone (the head names more).
   */
  reason: 'record_altered' | 'link_broken' | 'records_missing' | 'tail_missing';
  expected?: string;
  found?: string;
}

export interface ChainReport {
  tenantId: string;
  valid: boolean;
  checked: number;
  lastSeq: number;
  /** Records written but not chained yet (the sealer chains them within about a second). */
  pending: number;
  firstBroken: BrokenLink | null;
}

/**
 * One pass over the chain in the database (constant memory whatever its length): each record's
 * hash recomputed by audit_record_hash, its previous hash compared with the record before it (the
 * retention anchor for the first), its sequence number with the one before plus one, and the head
 * with the last record. All of it in one snapshot (the sealer goes on chaining meanwhile): `db` is a
 * tenant handle, or the platform one (the CLI).
 */
export function verifyChain(db: Pick<SqlHandle, 'transaction'>, tenantId: string): Promise<ChainReport> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return verifyInSnapshot(tx.query, tenantId);
  });
}

async function verifyInSnapshot(query: SqlQuery, tenantId: string): Promise<ChainReport> {
  const [head] = await query<{ seq: string; last_hash: string; anchor_seq: string; anchor_hash: string }>(
    'SELECT seq, last_hash, anchor_seq, anchor_hash FROM audit_chain_head WHERE tenant_id = ?',
    [tenantId],
  );
  const anchorSeq = head ? Number(head.anchor_seq) : 0;
  const anchorHash = head?.anchor_hash ?? '0'.repeat(64);
  const [broken] = await query<{ id: string; seq: string; reason: BrokenLink['reason']; expected: string; found: string }>(
    `WITH c AS (
       SELECT id, seq, hash, prev_hash,
              audit_record_hash(prev_hash, seq, occurred_at, tenant_id, principal_kind, principal_id, principal_name, action, target,
                                outcome, correlation_id, source_address, diff, details) AS recomputed,
              coalesce(lag(seq) OVER w, ?::bigint) AS previous_seq,
              coalesce(lag(hash) OVER w, ?::text) AS previous_hash
       FROM audit_record WHERE tenant_id = ? AND seq IS NOT NULL
       WINDOW w AS (ORDER BY seq)
     )
     SELECT id, seq,
            CASE WHEN seq <> previous_seq + 1 THEN 'records_missing'
                 WHEN recomputed <> hash THEN 'record_altered'
                 ELSE 'link_broken' END AS reason,
            CASE WHEN seq <> previous_seq + 1 THEN (previous_seq + 1)::text
                 WHEN recomputed <> hash THEN recomputed ELSE previous_hash END AS expected,
            CASE WHEN seq <> previous_seq + 1 THEN seq::text
                 WHEN recomputed <> hash THEN hash ELSE prev_hash END AS found
     FROM c
     WHERE seq <> previous_seq + 1 OR recomputed <> hash OR prev_hash <> previous_hash
     ORDER BY seq LIMIT 1`,
    [anchorSeq, anchorHash, tenantId],
  );
  const [tail] = await query<{ checked: string; last_seq: string | null; last_hash: string | null; pending: string }>(
    `SELECT count(seq) AS checked, max(seq) AS last_seq, count(*) - count(seq) AS pending,
            (SELECT hash FROM audit_record WHERE tenant_id = ? AND seq IS NOT NULL ORDER BY seq DESC LIMIT 1) AS last_hash
     FROM audit_record WHERE tenant_id = ?`,
    [tenantId, tenantId],
  );
  const checked = Number(tail.checked);
  const lastSeq = tail.last_seq === null ? anchorSeq : Number(tail.last_seq);
  let firstBroken: BrokenLink | null = broken
    ? { seq: Number(broken.seq), recordId: broken.id, reason: broken.reason, expected: broken.expected, found: broken.found }
    : null;
  if (!firstBroken && head && (Number(head.seq) !== lastSeq || (checked > 0 && head.last_hash !== tail.last_hash))) {
    firstBroken = { seq: lastSeq + 1, recordId: null, reason: 'tail_missing', expected: String(head.seq), found: String(lastSeq) };
  }
  return { tenantId, valid: firstBroken === null, checked, lastSeq, pending: Number(tail.pending), firstBroken };
}

/** Every chain in the database (the CLI, on the owner's connection). */
export async function chainTenants(query: SqlQuery): Promise<string[]> {
  const rows = await query<{ tenant_id: string }>('SELECT tenant_id FROM audit_chain_head UNION SELECT DISTINCT tenant_id FROM audit_record ORDER BY 1');
  return rows.map((r) => r.tenant_id);
}
