ALTER TABLE alert DROP COLUMN acknowledged_at, DROP COLUMN acknowledged_by;
