-- Messages a plugin sends to one named channel (a workflow's NOTIFY step), besides alert
-- notifications: no alert behind them, so they carry their own title, severity and source.
ALTER TABLE alert_notification DROP CONSTRAINT alert_notification_kind_check;
ALTER TABLE alert_notification ADD CONSTRAINT alert_notification_kind_check CHECK (kind IN ('firing', 'resolved', 'test', 'message'));
ALTER TABLE alert_notification ADD COLUMN title text, ADD COLUMN severity text CHECK (severity IN ('critical', 'warning', 'info')), ADD COLUMN source text;
