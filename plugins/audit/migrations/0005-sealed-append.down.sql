DROP FUNCTION audit_append_sealed(jsonb);
