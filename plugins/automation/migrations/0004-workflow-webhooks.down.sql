ALTER TABLE workflow DROP COLUMN webhook_secret_rotated_at;
