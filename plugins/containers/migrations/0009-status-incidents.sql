-- Incident posts and scheduled maintenance windows that staff write on the status page, beside
-- the statuses its components take from their monitors. An incident is told in updates, newest
-- last; its status is the status of its latest update (kept on the incident for listing), and it
-- is open until an update says resolved. A maintenance window is planned ahead, from start to end.
-- Both name the components they affect (ids of this workspace, checked by the handlers).
-- (No quote marks or question marks in these comments: the migrator numbers placeholders.)
CREATE TABLE status_incident (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  title          text NOT NULL,
  status         text NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
  component_ids  uuid[] NOT NULL DEFAULT '{}',
  resolved_at    timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX status_incident_tenant ON status_incident (tenant_id, created_at);

CREATE TABLE status_incident_update (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  incident_id  uuid NOT NULL REFERENCES status_incident (id) ON DELETE CASCADE,
  status       text NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
  message      text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX status_incident_update_incident ON status_incident_update (tenant_id, incident_id, created_at);

CREATE TABLE status_maintenance (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  title          text NOT NULL,
  description    text,
  starts_at      timestamptz NOT NULL,
  ends_at        timestamptz NOT NULL,
  component_ids  uuid[] NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);

CREATE INDEX status_maintenance_tenant ON status_maintenance (tenant_id, starts_at);

-- A paused heartbeat, endpoint or container is paused on the page, not under maintenance (which
-- staff announce), and each component says whether it shows while paused or is hidden.
ALTER TABLE status_monitor DROP CONSTRAINT IF EXISTS status_monitor_status_check;
ALTER TABLE status_monitor ADD CONSTRAINT status_monitor_status_check
  CHECK (status IN ('operational', 'degraded', 'major_outage', 'maintenance', 'paused', 'unknown'));
ALTER TABLE status_component ADD COLUMN when_paused text NOT NULL DEFAULT 'show' CHECK (when_paused IN ('show', 'hide'));
