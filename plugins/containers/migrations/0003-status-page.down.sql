DROP TABLE status_monitor_change;

DROP TABLE status_monitor;

DROP TABLE status_component;

DROP TABLE status_group;
