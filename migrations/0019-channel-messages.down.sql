DELETE FROM alert_notification WHERE kind = 'message';
ALTER TABLE alert_notification DROP COLUMN title, DROP COLUMN severity, DROP COLUMN source;
ALTER TABLE alert_notification DROP CONSTRAINT alert_notification_kind_check;
ALTER TABLE alert_notification ADD CONSTRAINT alert_notification_kind_check CHECK (kind IN ('firing', 'resolved', 'test'));
