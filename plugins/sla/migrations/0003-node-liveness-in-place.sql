-- Every status sync and heartbeat of an agent rewrites its node's liveness (last_sync_at,
-- last_heartbeat_at), most often the only change: 10,000 agents syncing every 30 s make it the
-- platform's most frequent update. The index on those times made each of them a new row version
-- with new entries in both indexes; without it, and with half-empty pages, the update stays on its
-- page (HOT) and touches no index. Measured with the repeat sync's UPDATE alone over 10,000 nodes
-- on PostgreSQL 15 (16 clients, alternating): 84-113 µs of the server's CPU per update against
-- 102-122 µs with the index. The minute's silence sweep (sla.watch) reads the table instead: one
-- row per agent node, a few milliseconds at 10,000.
DROP INDEX sla_node_alive;
ALTER TABLE sla_node SET (fillfactor = 50);
