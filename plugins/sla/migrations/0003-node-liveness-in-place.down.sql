ALTER TABLE sla_node RESET (fillfactor);
CREATE INDEX sla_node_alive ON sla_node (greatest(last_heartbeat_at, last_sync_at)) WHERE NOT silent;
