-- Containers as the runtimes report them (Docker Engine, Kubernetes, or agents through the SLA
-- plugin's operator API), one model for all three, with their state and health transitions.
-- `state_at` is the runtime's time of the event that set the state: an event older than it (a
-- replay after a reconnect, a second node catching up) changes nothing, so transitions are never
-- recorded twice or out of order. Containers are rewritten with every event: a fill factor leaves
-- room on each page so those updates stay on the page without new index entries. Kubernetes workloads are kept for the list's namespace groups.
-- `container_runtime_state` is where the runtime watcher of a workspace stands: the connection, and
-- the cursor from which another round (on any node) continues the event stream without a gap.
-- (No quote marks or question marks in these comments: the migrator numbers placeholders.)

CREATE TABLE container (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id           text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  source              text NOT NULL CHECK (source IN ('docker', 'kubernetes', 'agent')),
  external_id         text NOT NULL,
  name                text NOT NULL,
  image               text NOT NULL DEFAULT '',
  image_digest        text,
  state               text NOT NULL DEFAULT 'unknown'
                      CHECK (state IN ('unknown', 'created', 'running', 'restarting', 'paused', 'exited', 'dead', 'removing', 'removed')),
  health              text CHECK (health IN ('healthy', 'unhealthy', 'starting')),
  state_at            timestamptz NOT NULL DEFAULT now(),
  labels              jsonb NOT NULL DEFAULT '{}',
  compose_project     text,
  compose_service     text,
  namespace           text,
  workload_kind       text,
  workload_name       text,
  host                text,
  runtime_created_at  timestamptz,
  started_at          timestamptz,
  finished_at         timestamptz,
  exit_code           integer,
  restart_count       integer NOT NULL DEFAULT 0,
  restart_alert       boolean NOT NULL DEFAULT false,
  first_seen_at       timestamptz NOT NULL DEFAULT now(),
  last_seen_at        timestamptz NOT NULL DEFAULT now(),
  removed_at          timestamptz,
  UNIQUE (tenant_id, source, external_id)
) WITH (fillfactor = 80);

CREATE INDEX container_tenant_name ON container (tenant_id, lower(name));

CREATE INDEX container_tenant_project ON container (tenant_id, compose_project) WHERE compose_project IS NOT NULL;

CREATE INDEX container_tenant_namespace ON container (tenant_id, namespace) WHERE namespace IS NOT NULL;

CREATE INDEX container_restart_alert ON container (tenant_id) WHERE restart_alert;

CREATE TABLE container_transition (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id     text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  container_id  uuid NOT NULL REFERENCES container (id) ON DELETE CASCADE,
  at            timestamptz NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('state', 'health')),
  from_value    text,
  to_value      text NOT NULL,
  exit_code     integer,
  reason        text
);

CREATE INDEX container_transition_container_at ON container_transition (container_id, at DESC);

CREATE TABLE container_workload (
  tenant_id       text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  namespace       text NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('deployment', 'statefulset', 'daemonset')),
  name            text NOT NULL,
  replicas        integer NOT NULL DEFAULT 0,
  ready_replicas  integer NOT NULL DEFAULT 0,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, namespace, kind, name)
);

CREATE TABLE container_runtime_state (
  tenant_id       text PRIMARY KEY REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  kind            text NOT NULL CHECK (kind IN ('docker', 'kubernetes')),
  endpoint        text NOT NULL,
  connected       boolean NOT NULL DEFAULT false,
  api_version     text,
  server_version  text,
  cursor          text,
  error           text,
  connected_at    timestamptz,
  listed_at       timestamptz,
  last_event_at   timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
