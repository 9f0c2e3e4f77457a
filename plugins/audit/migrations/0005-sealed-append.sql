-- WAL mode: one consumer writes every record it reads from the WAL, so it can chain them as it inserts
-- them instead of leaving them to audit_seal, whose UPDATE wrote each record's heap row and every
-- index a second time (docs/audit-cost.md). Each workspace's chain head is locked as audit_seal locks
-- it, its records are chained in the order given (their transactions' commit order) by the same
-- audit_record_hash, and they go in as one INSERT, sealed. Returns how many it wrote.
CREATE FUNCTION audit_append_sealed(records jsonb) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  workspace text;
  head record;
  r record;
  previous text;
  n bigint;
  written integer := 0;
  seqs bigint[];
  prevs text[];
  hashes text[];
  ordinals bigint[];
BEGIN
  FOR workspace IN SELECT DISTINCT e ->> 'tenantId' FROM jsonb_array_elements(records) AS e ORDER BY 1 LOOP
    INSERT INTO audit_chain_head (tenant_id, seq, prev_hash, last_hash) VALUES (workspace, 0, repeat('0', 64), repeat('0', 64))
      ON CONFLICT (tenant_id) DO NOTHING;
    SELECT * INTO head FROM audit_chain_head WHERE tenant_id = workspace FOR UPDATE;
    previous := head.last_hash;
    n := head.seq;
    seqs := '{}';
    prevs := '{}';
    hashes := '{}';
    ordinals := '{}';
    FOR r IN
      SELECT i, (e ->> 'occurredAt')::timestamptz AS occurred_at, e ->> 'principalKind' AS principal_kind, e ->> 'principalId' AS principal_id,
             e ->> 'principalName' AS principal_name, e ->> 'action' AS action, e ->> 'target' AS target, e ->> 'outcome' AS outcome,
             e ->> 'correlationId' AS correlation_id, e ->> 'sourceAddress' AS source_address, e -> 'diff' AS diff,
             nullif(e -> 'details', 'null'::jsonb) AS details
      FROM jsonb_array_elements(records) WITH ORDINALITY AS x(e, i)
      WHERE e ->> 'tenantId' = workspace
      ORDER BY i
    LOOP
      n := n + 1;
      ordinals := ordinals || r.i;
      seqs := seqs || n;
      prevs := prevs || previous;
      previous := audit_record_hash(previous, n, r.occurred_at, workspace, r.principal_kind, r.principal_id, r.principal_name, r.action,
                                    r.target, r.outcome, r.correlation_id, r.source_address, r.diff, r.details);
      hashes := hashes || previous;
    END LOOP;
    INSERT INTO audit_record (tenant_id, seq, occurred_at, principal_kind, principal_id, principal_name, action, target, outcome,
                              correlation_id, source_address, diff, details, prev_hash, hash)
    SELECT workspace, s.seq, (e ->> 'occurredAt')::timestamptz, e ->> 'principalKind', e ->> 'principalId', e ->> 'principalName',
           e ->> 'action', e ->> 'target', e ->> 'outcome', e ->> 'correlationId', e ->> 'sourceAddress', e -> 'diff',
           nullif(e -> 'details', 'null'::jsonb), s.prev_hash, s.hash
    FROM unnest(ordinals, seqs, prevs, hashes) AS s(i, seq, prev_hash, hash)
    JOIN LATERAL (SELECT records -> (s.i::integer - 1) AS e) AS x ON true
    ORDER BY s.seq;
    UPDATE audit_chain_head SET seq = n, last_hash = previous WHERE tenant_id = workspace;
    written := written + cardinality(seqs);
  END LOOP;
  RETURN written;
END
$$;
