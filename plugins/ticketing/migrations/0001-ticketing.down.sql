DROP TABLE ticket_alert_event;

DROP TABLE ticket_alert;

DROP TABLE alert_ticket_rule;

DROP TABLE ticket_runbook;

DROP TABLE ticket_asset;

DROP TABLE runbook;

DROP TABLE asset;

DROP TABLE ticket_entry;

DROP TABLE ticket;

DROP TABLE ticket_sla_policy;
