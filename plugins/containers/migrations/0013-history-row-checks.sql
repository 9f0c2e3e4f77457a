-- Monitor history rows (pings, heartbeat flips, container transitions, status-page changes) are
-- written by the statement or transaction that updates and so locks their parent row, never
-- otherwise, so their foreign keys checked nothing the writer did not already know; they cost a
-- lookup per row, about a fifth of a mass outage's and a burst of container events' database time. Deleting a parent still deletes
-- its history, now by one statement per delete rather than a cascade per row. The function runs
-- as the tables' owner, as a cascade does, so that a tenant's deletion through the platform role
-- and a workspace's own delete under row-level security both remove it.
-- Dropping a foreign key locks the referenced table too: every table this touches is locked at
-- once, parents first, so the migration waits for other transactions rather than deadlocking with
-- them halfway (CI saw that while the other plugins were already running).
LOCK TABLE tenant, heartbeat, container, status_monitor, heartbeat_ping, heartbeat_flip, container_transition, status_monitor_change IN ACCESS EXCLUSIVE MODE;
ALTER TABLE heartbeat_ping DROP CONSTRAINT heartbeat_ping_heartbeat_id_fkey;
ALTER TABLE heartbeat_flip DROP CONSTRAINT heartbeat_flip_heartbeat_id_fkey;
ALTER TABLE container_transition DROP CONSTRAINT container_transition_container_id_fkey;
-- A transition's workspace is its container's, and a status change's its monitor row's, which the
-- tenant's deletion cascades to.
ALTER TABLE container_transition DROP CONSTRAINT container_transition_tenant_id_fkey;
ALTER TABLE status_monitor_change DROP CONSTRAINT status_monitor_change_tenant_id_fkey;

CREATE FUNCTION heartbeat_history_delete() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM heartbeat_ping WHERE heartbeat_id IN (SELECT id FROM gone);
  DELETE FROM heartbeat_flip WHERE heartbeat_id IN (SELECT id FROM gone);
  RETURN NULL;
END $$;
CREATE TRIGGER heartbeat_history_delete AFTER DELETE ON heartbeat REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION heartbeat_history_delete();

CREATE FUNCTION container_history_delete() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM container_transition WHERE container_id IN (SELECT id FROM gone);
  RETURN NULL;
END $$;
CREATE TRIGGER container_history_delete AFTER DELETE ON container REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION container_history_delete();

CREATE FUNCTION status_monitor_history_delete() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM status_monitor_change c USING gone g
  WHERE c.tenant_id = g.tenant_id AND c.monitor_type = g.monitor_type AND c.monitor_id = g.monitor_id;
  RETURN NULL;
END $$;
CREATE TRIGGER status_monitor_history_delete AFTER DELETE ON status_monitor REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION status_monitor_history_delete();
