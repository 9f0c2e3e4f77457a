ALTER TABLE status_component DROP COLUMN IF EXISTS when_paused;
UPDATE status_monitor SET status = 'maintenance' WHERE status = 'paused';
ALTER TABLE status_monitor DROP CONSTRAINT IF EXISTS status_monitor_status_check;
ALTER TABLE status_monitor ADD CONSTRAINT status_monitor_status_check
  CHECK (status IN ('operational', 'degraded', 'major_outage', 'maintenance', 'unknown'));
DROP TABLE IF EXISTS status_maintenance;
DROP TABLE IF EXISTS status_incident_update;
DROP TABLE IF EXISTS status_incident;
