-- Agent runs (built-in capabilities and the external control plane), the control plane's callback
-- deliveries already applied (replays are refused), and change events from GitHub.
CREATE TABLE automation_agent_run (
  id               uuid PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  target           text NOT NULL,
  executor         text NOT NULL CHECK (executor IN ('builtin', 'control_plane')),
  status           text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'timed_out')),
  input            jsonb NOT NULL,
  result           jsonb,
  failure_code     text,
  failure_message  text,
  requested_by     text,
  started_at       timestamptz NOT NULL DEFAULT now(),
  deadline_at      timestamptz NOT NULL,
  completed_at     timestamptz,
  duration_ms      integer
);

CREATE INDEX automation_agent_run_tenant ON automation_agent_run (tenant_id, started_at DESC);

-- What the deadline sweep looks for, across workspaces.
CREATE INDEX automation_agent_run_open ON automation_agent_run (deadline_at) WHERE status = 'running';

-- Unique across workspaces: a delivery id names one callback of the control plane, whoever's run it is.
CREATE TABLE automation_callback_delivery (
  delivery_id  text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  run_id       uuid NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX automation_callback_delivery_received ON automation_callback_delivery (received_at);

CREATE TABLE automation_change_event (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  source       text NOT NULL,
  kind         text NOT NULL,
  delivery_id  text NOT NULL,
  repository   text,
  ref          text,
  sha          text,
  environment  text,
  status       text,
  actor        text,
  title        text,
  url          text,
  ticket_keys  text[] NOT NULL DEFAULT '{}',
  details      jsonb NOT NULL DEFAULT '{}',
  occurred_at  timestamptz NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, source, delivery_id)
);

CREATE INDEX automation_change_event_time ON automation_change_event (tenant_id, occurred_at DESC);
