-- Alerts are raised and resolved in the transaction that changes the status causing them, so the
-- columns recording which alert the core shows (and the partial indexes that found the monitors
-- whose alert lagged behind their status) have nothing left to record.

DROP INDEX heartbeat_alert_pending;
ALTER TABLE heartbeat DROP COLUMN alert_firing;

DROP INDEX endpoint_alert_pending;
ALTER TABLE endpoint DROP COLUMN alert_firing;

DROP INDEX certificate_alert_pending;
ALTER TABLE certificate DROP COLUMN alerted_state;
