-- The SLA plugin's tables: the service catalog placed on agent nodes, SLA groups and tier targets,
-- status transitions (the one source SLA time is computed from), exclusion windows, incidents,
-- backup reports, snapshot/roll-up rows and stored daily reports.

CREATE TABLE sla_node (
  tenant_id          text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  node_id            text NOT NULL,
  agent_version      text,
  last_heartbeat_at  timestamptz,
  last_sync_at       timestamptz,
  watched_services   integer,
  healthy_services   integer,
  unhealthy_services integer,
  silent             boolean NOT NULL DEFAULT false,
  sync_hash          text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, node_id)
);

CREATE INDEX sla_node_alive ON sla_node (greatest(last_heartbeat_at, last_sync_at)) WHERE NOT silent;

CREATE TABLE sla_tier (
  tenant_id      text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  tier           text NOT NULL,
  target_percent double precision NOT NULL CHECK (target_percent > 0 AND target_percent <= 100),
  PRIMARY KEY (tenant_id, tier)
);

CREATE TABLE sla_group (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  name           text NOT NULL,
  display_name   text,
  tier           text NOT NULL DEFAULT 'standard',
  target_percent double precision CHECK (target_percent > 0 AND target_percent <= 100),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

CREATE TABLE sla_service (
  id                     uuid PRIMARY KEY,
  tenant_id              text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  node_id                text NOT NULL,
  name                   text NOT NULL,
  display_name           text,
  status                 text NOT NULL CHECK (status IN ('OPERATIONAL', 'DEGRADED', 'DOWN', 'MAINTENANCE', 'UNKNOWN')),
  status_changed_at      timestamptz NOT NULL DEFAULT now(),
  message                text,
  replicas               integer,
  ready_replicas         integer,
  workload_type          text,
  criticality            text,
  service_type           text,
  namespace              text,
  tags                   text[] NOT NULL DEFAULT '{}',
  sla_group_id           uuid REFERENCES sla_group (id) ON DELETE SET NULL,
  source                 text NOT NULL,
  backup_expected        boolean NOT NULL DEFAULT false,
  backup_max_age_days    integer NOT NULL DEFAULT 1,
  last_backup_at         timestamptz,
  last_backup_status     text,
  last_backup_success_at timestamptz,
  backup_overdue         boolean NOT NULL DEFAULT false,
  storage                jsonb,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, node_id, name)
);

CREATE INDEX sla_service_group ON sla_service (sla_group_id);

CREATE INDEX sla_service_tenant_name ON sla_service (tenant_id, name);

CREATE INDEX sla_service_namespace ON sla_service (tenant_id, namespace) WHERE namespace IS NOT NULL;

CREATE TABLE sla_status_transition (
  id          bigserial PRIMARY KEY,
  tenant_id   text NOT NULL,
  service_id  uuid NOT NULL REFERENCES sla_service (id) ON DELETE CASCADE,
  from_status text,
  to_status   text NOT NULL,
  at          timestamptz NOT NULL,
  reason      text
);

CREATE INDEX sla_transition_service_at ON sla_status_transition (service_id, at);

CREATE INDEX sla_transition_tenant_at ON sla_status_transition (tenant_id, at);

CREATE TABLE sla_exclusion_window (
  id              uuid PRIMARY KEY,
  tenant_id       text NOT NULL,
  service_id      uuid NOT NULL REFERENCES sla_service (id) ON DELETE CASCADE,
  reason          text,
  started_at      timestamptz NOT NULL,
  expected_end_at timestamptz,
  ended_at        timestamptz
);

CREATE UNIQUE INDEX sla_window_open ON sla_exclusion_window (service_id) WHERE ended_at IS NULL;

CREATE INDEX sla_window_service_start ON sla_exclusion_window (service_id, started_at);

CREATE TABLE sla_incident (
  id         uuid PRIMARY KEY,
  tenant_id  text NOT NULL,
  service_id uuid NOT NULL REFERENCES sla_service (id) ON DELETE CASCADE,
  status     text NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at   timestamptz
);

CREATE UNIQUE INDEX sla_incident_open ON sla_incident (service_id) WHERE ended_at IS NULL;

CREATE INDEX sla_incident_tenant_start ON sla_incident (tenant_id, started_at DESC);

CREATE TABLE sla_backup_report (
  id          uuid PRIMARY KEY,
  tenant_id   text NOT NULL,
  service_id  uuid NOT NULL REFERENCES sla_service (id) ON DELETE CASCADE,
  status      text NOT NULL CHECK (status IN ('success', 'failed', 'partial')),
  size_bytes  bigint,
  message     text,
  reported_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sla_backup_service_at ON sla_backup_report (service_id, reported_at DESC);

CREATE TABLE sla_snapshot (
  tenant_id        text NOT NULL,
  subject_type     text NOT NULL CHECK (subject_type IN ('service', 'group')),
  subject_id       uuid NOT NULL,
  period_type      text NOT NULL CHECK (period_type IN ('SNAPSHOT', 'DAILY', 'MONTHLY')),
  period_key       text NOT NULL,
  period_start     timestamptz NOT NULL,
  period_end       timestamptz NOT NULL,
  actual_value     double precision,
  target_value     double precision,
  eligible_seconds double precision NOT NULL,
  downtime_seconds double precision NOT NULL,
  excluded_seconds double precision NOT NULL,
  incident_count   integer NOT NULL,
  status           text,
  computed_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subject_id, period_type, period_key)
);

CREATE INDEX sla_snapshot_tenant_period ON sla_snapshot (tenant_id, period_type, period_start);

CREATE TABLE sla_report (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  report_date  date NOT NULL,
  trigger      text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  generated_at timestamptz NOT NULL DEFAULT now(),
  summary      jsonb NOT NULL,
  rows         jsonb NOT NULL
);

CREATE INDEX sla_report_tenant_generated ON sla_report (tenant_id, generated_at DESC);
