-- Records are written with the COMMIT, in its round trip: the observer reads the captured rows
-- (one round trip), builds the records (diffs, secrets redacted) and hands them to audit_append as
-- one JSON array, which the core sends with the COMMIT. Before, each record was an INSERT of its own.
-- (Building the diffs in SQL from itops_captured_changes() instead saved the read but cost the
-- database more than the round trip: measured 0.49 against 0.54 of the unaudited throughput.)
CREATE FUNCTION audit_append(records jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_record (tenant_id, occurred_at, principal_kind, principal_id, principal_name, action, target, outcome,
                            correlation_id, source_address, diff, details)
  SELECT r ->> 'tenantId', clock_timestamp(), r ->> 'principalKind', r ->> 'principalId', r ->> 'principalName', r ->> 'action',
         r ->> 'target', r ->> 'outcome', r ->> 'correlationId', r ->> 'sourceAddress', r -> 'diff', nullif(r -> 'details', 'null'::jsonb)
  FROM jsonb_array_elements(records) WITH ORDINALITY AS x(r, n)
  ORDER BY n;
END
$$;

-- Fewer indexes to keep per record: it is inserted once and sealed once, and each index cost both.
-- The uuid key (a random insert each time) gives way to (tenant_id, rid); seq is indexed only once
-- sealed, where every reader of it looks.
ALTER TABLE audit_record DROP CONSTRAINT audit_record_pkey;
ALTER TABLE audit_record ADD CONSTRAINT audit_record_pkey PRIMARY KEY USING INDEX audit_record_rid;
ALTER TABLE audit_record DROP CONSTRAINT audit_record_tenant_id_seq_key;
CREATE UNIQUE INDEX audit_record_seq ON audit_record (tenant_id, seq) WHERE seq IS NOT NULL;

-- The sealing exception compares the columns themselves: turning both whole rows into jsonb cost
-- more than the rest of sealing a record. A column added later must be added here too.
CREATE OR REPLACE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user <> 'itops_app' AND TG_LEVEL = 'ROW' THEN
    IF TG_OP = 'DELETE' AND current_setting('itops.audit_retention', true) = 'on' THEN
      RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
       AND (NEW.id, NEW.tenant_id, NEW.occurred_at, NEW.principal_kind, NEW.principal_id, NEW.principal_name, NEW.action, NEW.target,
            NEW.outcome, NEW.correlation_id, NEW.source_address, NEW.diff, NEW.details, NEW.rid, NEW.xid)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.tenant_id, OLD.occurred_at, OLD.principal_kind, OLD.principal_id, OLD.principal_name, OLD.action, OLD.target,
            OLD.outcome, OLD.correlation_id, OLD.source_address, OLD.diff, OLD.details, OLD.rid, OLD.xid) THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit records are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

-- As in 0002, but the hashes are chained first and the records sealed by one UPDATE: a statement
-- per record cost more than the record's own work.
CREATE OR REPLACE FUNCTION audit_seal(workspace text, max_records integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  head record;
  r record;
  previous text;
  n bigint;
  rids bigint[] := '{}';
  seqs bigint[] := '{}';
  prevs text[] := '{}';
  hashes text[] := '{}';
BEGIN
  INSERT INTO audit_chain_head (tenant_id, seq, prev_hash, last_hash) VALUES (workspace, 0, repeat('0', 64), repeat('0', 64))
    ON CONFLICT (tenant_id) DO NOTHING;
  SELECT * INTO head FROM audit_chain_head WHERE tenant_id = workspace FOR UPDATE;
  previous := head.last_hash;
  n := head.seq;
  FOR r IN
    SELECT * FROM audit_record WHERE tenant_id = workspace AND seq IS NULL AND xid < horizon ORDER BY rid LIMIT max_records
  LOOP
    n := n + 1;
    rids := rids || r.rid;
    seqs := seqs || n;
    prevs := prevs || previous;
    previous := audit_record_hash(previous, n, r.occurred_at, r.tenant_id, r.principal_kind, r.principal_id, r.principal_name, r.action,
                                  r.target, r.outcome, r.correlation_id, r.source_address, r.diff, r.details);
    hashes := hashes || previous;
  END LOOP;
  IF cardinality(rids) = 0 THEN
    RETURN 0;
  END IF;
  UPDATE audit_record SET seq = s.seq, prev_hash = s.prev_hash, hash = s.hash
  FROM unnest(rids, seqs, prevs, hashes) AS s(rid, seq, prev_hash, hash)
  WHERE audit_record.tenant_id = workspace AND audit_record.rid = s.rid;
  UPDATE audit_chain_head SET seq = n, last_hash = previous WHERE tenant_id = workspace;
  RETURN cardinality(rids);
END
$$;
