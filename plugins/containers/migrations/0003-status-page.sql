-- The public status page of the containers plugin: each workspace's component groups and
-- components, and the status of what they are bound to (heartbeats, endpoints, containers, SLA
-- services), kept here from the events those publish rather than read from their tables.
-- `status_monitor` holds the current status of each monitored thing the events named, with the id
-- of the last event applied: every node receives every event, and a write that is not newer than
-- `last_event_id`, or does not change the status, is dropped, so the nodes agree without
-- coordinating. `status_monitor_change` is the history uptime is computed from, by time.

CREATE TABLE status_group (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  name         text NOT NULL,
  description  text,
  position     integer NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX status_group_tenant ON status_group (tenant_id, position);

CREATE TABLE status_component (
  id            uuid PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  group_id      uuid REFERENCES status_group (id) ON DELETE SET NULL,
  name          text NOT NULL,
  description   text,
  position      integer NOT NULL DEFAULT 0,
  monitor_type  text NOT NULL CHECK (monitor_type IN ('heartbeat', 'endpoint', 'container', 'sla_service')),
  monitor_id    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX status_component_tenant ON status_component (tenant_id, position);

CREATE INDEX status_component_monitor ON status_component (tenant_id, monitor_type, monitor_id);

CREATE TABLE status_monitor (
  tenant_id      text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  monitor_type   text NOT NULL,
  monitor_id     text NOT NULL,
  status         text NOT NULL CHECK (status IN ('operational', 'degraded', 'major_outage', 'maintenance', 'unknown')),
  since          timestamptz NOT NULL,
  last_event_id  bigint NOT NULL,
  PRIMARY KEY (tenant_id, monitor_type, monitor_id)
);

CREATE TABLE status_monitor_change (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  monitor_type  text NOT NULL,
  monitor_id    text NOT NULL,
  at            timestamptz NOT NULL,
  status        text NOT NULL
);

CREATE INDEX status_monitor_change_monitor_at ON status_monitor_change (tenant_id, monitor_type, monitor_id, at);
