ALTER TABLE audit_record ENABLE TRIGGER itops_change_capture;
ALTER TABLE audit_chain_head ENABLE TRIGGER itops_change_capture;
DROP TABLE audit_wal_position;
