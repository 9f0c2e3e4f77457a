-- Heartbeat monitors of the containers plugin (cron jobs that ping /ping/{uuid}), their raw pings,
-- and their status changes (flips), from which uptime is computed by time.
-- `expected_at` is when the schedule expects the next ping, `down_at` when the heartbeat goes down
-- without one (schedule + grace, or an open run + start grace), and `due_at` the next moment the
-- deadline evaluator must look at it (it goes late, or down). Every write keeps them, so one indexed
-- range scan finds every overdue heartbeat: no timer per heartbeat. While the status stays, pings
-- only ever move `due_at` earlier (the evaluator re-arms it when the real deadline lies ahead), so
-- frequent pings update the row in place (HOT, hence the fill factor) without touching any index.
-- `alert_firing` records whether the core alert for the heartbeat is raised; the partial index
-- finds the heartbeats whose alert must be raised or resolved.

CREATE TABLE heartbeat (
  id                   uuid PRIMARY KEY,
  tenant_id            text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  ping_uuid            uuid NOT NULL UNIQUE,
  name                 text NOT NULL,
  description          text,
  kind                 text NOT NULL CHECK (kind IN ('period', 'cron')),
  period_seconds       integer CHECK (period_seconds > 0),
  cron                 text,
  timezone             text NOT NULL DEFAULT 'UTC',
  grace_seconds        integer NOT NULL CHECK (grace_seconds >= 0),
  start_grace_seconds  integer CHECK (start_grace_seconds > 0),
  status               text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'up', 'late', 'down', 'paused')),
  status_reason        text,
  status_changed_at    timestamptz NOT NULL DEFAULT now(),
  last_ping_at         timestamptz,
  last_ping_kind       text,
  open_runs            jsonb NOT NULL DEFAULT '[]',
  last_duration_ms     bigint,
  last_exit_code       smallint,
  ping_count           bigint NOT NULL DEFAULT 0,
  expected_at          timestamptz,
  down_at              timestamptz,
  due_at               timestamptz,
  last_event_at        timestamptz,
  alert_firing         boolean NOT NULL DEFAULT false,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'period') = (period_seconds IS NOT NULL)),
  CHECK ((kind = 'cron') = (cron IS NOT NULL))
) WITH (fillfactor = 80);

CREATE INDEX heartbeat_tenant_name ON heartbeat (tenant_id, lower(name));

CREATE INDEX heartbeat_due ON heartbeat (due_at) WHERE due_at IS NOT NULL;

CREATE INDEX heartbeat_alert_pending ON heartbeat (id) WHERE (status = 'down') <> alert_firing;

CREATE TABLE heartbeat_ping (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL,
  heartbeat_id   uuid NOT NULL REFERENCES heartbeat (id) ON DELETE CASCADE,
  kind           text NOT NULL CHECK (kind IN ('success', 'fail', 'start', 'log')),
  received_at    timestamptz NOT NULL,
  exit_code      smallint,
  rid            uuid,
  duration_ms    bigint,
  start_ping_id  uuid,
  method         text NOT NULL,
  remote_addr    text,
  user_agent     text,
  body           text,
  body_bytes     integer NOT NULL DEFAULT 0
);

CREATE INDEX heartbeat_ping_heartbeat_received ON heartbeat_ping (heartbeat_id, received_at DESC);

CREATE INDEX heartbeat_ping_start ON heartbeat_ping (start_ping_id) WHERE start_ping_id IS NOT NULL;

CREATE TABLE heartbeat_flip (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id     text NOT NULL,
  heartbeat_id  uuid NOT NULL REFERENCES heartbeat (id) ON DELETE CASCADE,
  at            timestamptz NOT NULL,
  from_status   text NOT NULL,
  to_status     text NOT NULL,
  reason        text
);

CREATE INDEX heartbeat_flip_heartbeat_at ON heartbeat_flip (heartbeat_id, at);
