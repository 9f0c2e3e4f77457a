-- Back to the columns the alert reconcilers read: every alert so far committed with its status.

ALTER TABLE certificate ADD COLUMN alerted_state text NOT NULL DEFAULT 'ok';
UPDATE certificate SET alerted_state = alert_state;
CREATE INDEX certificate_alert_pending ON certificate (id) WHERE alert_state <> alerted_state;

ALTER TABLE endpoint ADD COLUMN alert_firing boolean NOT NULL DEFAULT false;
UPDATE endpoint SET alert_firing = (status = 'down');
CREATE INDEX endpoint_alert_pending ON endpoint (id) WHERE (status = 'down') <> alert_firing;

ALTER TABLE heartbeat ADD COLUMN alert_firing boolean NOT NULL DEFAULT false;
UPDATE heartbeat SET alert_firing = (status = 'down');
CREATE INDEX heartbeat_alert_pending ON heartbeat (id) WHERE (status = 'down') <> alert_firing;
