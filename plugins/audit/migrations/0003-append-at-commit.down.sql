DROP FUNCTION IF EXISTS audit_append(jsonb);
DROP INDEX IF EXISTS audit_record_seq;
ALTER TABLE audit_record ADD CONSTRAINT audit_record_tenant_id_seq_key UNIQUE (tenant_id, seq);
ALTER TABLE audit_record DROP CONSTRAINT audit_record_pkey;
CREATE UNIQUE INDEX audit_record_rid ON audit_record (tenant_id, rid);
ALTER TABLE audit_record ADD CONSTRAINT audit_record_pkey PRIMARY KEY (id);
