DROP TABLE heartbeat_flip;

DROP TABLE heartbeat_ping;

DROP TABLE heartbeat;
