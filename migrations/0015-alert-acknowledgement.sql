-- Acknowledging a firing alert records who is on it (PagerDuty's and Opsgenie's "ack"); the alert
-- keeps firing until its source resolves it. A new firing of the same trouble is a new alert, unacknowledged.
ALTER TABLE alert ADD COLUMN acknowledged_at timestamptz, ADD COLUMN acknowledged_by text;
