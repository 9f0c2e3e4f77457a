-- The chain is sealed after commit instead of inside the changing transaction. A record is still
-- written in the transaction of its change (nothing changes without its record), but taking the
-- chain head's lock there held it through every COMMIT's WAL flush, so one workspace's writers
-- committed one at a time. Now a sealer (one runner across nodes, about every second and right
-- after each commit) takes the head row FOR UPDATE and chains the records whose transactions are
-- over, in insertion order: the chain's order is the sealing order, each record gets its seq,
-- prev_hash and hash exactly once, and the head names the last one.

ALTER TABLE audit_record ADD COLUMN rid bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE audit_record ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE audit_record ALTER COLUMN seq DROP NOT NULL, ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL;
CREATE UNIQUE INDEX audit_record_rid ON audit_record (tenant_id, rid);
CREATE INDEX audit_record_unsealed ON audit_record (tenant_id, rid) WHERE seq IS NULL;

-- Append-only still; two exceptions, both for the owner only (never the application role):
-- sealing (seq, prev_hash and hash set once, nothing else changed) and the retention job's DELETE
-- (with itops.audit_retention set for its transaction).
CREATE OR REPLACE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user <> 'itops_app' AND TG_LEVEL = 'ROW' THEN
    IF TG_OP = 'DELETE' AND current_setting('itops.audit_retention', true) = 'on' THEN
      RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash IS NOT NULL
       AND to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash' = to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash' THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit records are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Seals up to `max_records` of the workspace's records whose transactions are over (their xid is
-- below every running transaction's), oldest insertion first; returns how many it sealed.
CREATE FUNCTION audit_seal(workspace text, max_records integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  horizon xid8 := pg_snapshot_xmin(pg_current_snapshot());
  head record;
  r record;
  previous text;
  n bigint;
  sealed integer := 0;
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
    UPDATE audit_record SET seq = n, prev_hash = previous,
      hash = audit_record_hash(previous, n, r.occurred_at, r.tenant_id, r.principal_kind, r.principal_id, r.principal_name, r.action,
                               r.target, r.outcome, r.correlation_id, r.source_address, r.diff, r.details)
    WHERE id = r.id
    RETURNING hash INTO previous;
    sealed := sealed + 1;
  END LOOP;
  IF sealed > 0 THEN
    UPDATE audit_chain_head SET seq = n, last_hash = previous WHERE tenant_id = workspace;
  END IF;
  RETURN sealed;
END
$$;
