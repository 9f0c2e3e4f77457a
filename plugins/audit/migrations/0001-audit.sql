-- The audit trail: one hash chain per workspace. Each record holds the hash of the one before
-- (prev_hash) and its own, computed by audit_record_hash over every column a reader relies on, so
-- editing, deleting or reordering records breaks the chain where it happened.

CREATE TABLE audit_record (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id       text NOT NULL,
  seq             bigint NOT NULL,
  occurred_at     timestamptz NOT NULL,
  principal_kind  text NOT NULL,
  principal_id    text,
  principal_name  text,
  action          text NOT NULL,
  target          text,
  outcome         text NOT NULL,
  correlation_id  text,
  source_address  text,
  diff            jsonb NOT NULL DEFAULT '[]',
  details         jsonb,
  prev_hash       text NOT NULL,
  hash            text NOT NULL,
  UNIQUE (tenant_id, seq)
);
CREATE INDEX audit_record_time ON audit_record (tenant_id, occurred_at DESC);
CREATE INDEX audit_record_action ON audit_record (tenant_id, action, occurred_at DESC);

-- The head of each chain: locked (row lock of the upsert) by whoever appends, so concurrent writers
-- of one workspace take turns; anchor_* is where the chain starts after retention removed its oldest part.
CREATE TABLE audit_chain_head (
  tenant_id    text PRIMARY KEY,
  seq          bigint NOT NULL,
  prev_hash    text NOT NULL,
  last_hash    text NOT NULL,
  anchor_seq   bigint NOT NULL DEFAULT 0,
  anchor_hash  text NOT NULL DEFAULT repeat('0', 64)
);

CREATE TABLE audit_retention (
  tenant_id    text PRIMARY KEY,
  retain_days  integer NOT NULL CHECK (retain_days BETWEEN 1 AND 36500),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- sha256(prev_hash || the record as a JSON array), hex. jsonb's text form is canonical (sorted
-- keys), and the time is written in UTC with microseconds, so the hash does not depend on the session.
CREATE FUNCTION audit_record_hash(
  prev text, seq bigint, occurred_at timestamptz, tenant_id text, principal_kind text, principal_id text,
  principal_name text, action text, target text, outcome text, correlation_id text, source_address text,
  diff jsonb, details jsonb
) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(prev || jsonb_build_array(
    seq, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), tenant_id, principal_kind, principal_id,
    principal_name, action, target, outcome, correlation_id, source_address, diff, details)::text, 'UTF8')), 'hex')
$$;

-- Append-only: no UPDATE, DELETE or TRUNCATE. The one exception is the retention job, a documented
-- privileged path: it runs as the tables' owner (never the application role) and sets
-- itops.audit_retention for its transaction, and it only deletes.
CREATE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_LEVEL = 'ROW' AND current_setting('itops.audit_retention', true) = 'on'
     AND current_user <> 'itops_app' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit records are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record
  FOR EACH ROW EXECUTE FUNCTION audit_record_append_only();
CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record
  FOR EACH STATEMENT EXECUTE FUNCTION audit_record_append_only();
