-- Workflows as data: the current definition, and every version it ever had (executions name the
-- version they ran, so a change never alters what a past or running execution did).
CREATE TABLE workflow (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  enabled      boolean NOT NULL DEFAULT true,
  trigger      jsonb NOT NULL,
  steps        jsonb NOT NULL,
  output       jsonb,
  version      integer NOT NULL DEFAULT 1,
  -- Cron triggers: when the next run is due (null for other triggers or a disabled workflow).
  next_run_at  timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX workflow_name ON workflow (tenant_id, lower(name));
CREATE INDEX workflow_event_topic ON workflow (tenant_id, (trigger->>'topic')) WHERE trigger->>'type' = 'event';
CREATE INDEX workflow_cron_due ON workflow (next_run_at) WHERE next_run_at IS NOT NULL;

CREATE TABLE workflow_version (
  tenant_id    text NOT NULL,
  workflow_id  uuid NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
  version      integer NOT NULL,
  name         text NOT NULL,
  trigger      jsonb NOT NULL,
  steps        jsonb NOT NULL,
  output       jsonb,
  created_by   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, version)
);

-- One run of one workflow version. `current_step` is the index of the step to run next; the lease
-- is held by the engine that runs it, so a crashed engine's execution is taken over once it lapses.
CREATE TABLE workflow_execution (
  id               uuid PRIMARY KEY,
  tenant_id        text NOT NULL,
  workflow_id      uuid NOT NULL,
  workflow_version integer NOT NULL,
  workflow_name    text NOT NULL,
  status           text NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled')),
  trigger_kind     text NOT NULL,
  -- The event that started it: an event reaches every node, and only one execution may follow.
  trigger_ref      text,
  input            jsonb NOT NULL DEFAULT '{}',
  context          jsonb NOT NULL DEFAULT '{"steps": {}, "vars": {}}',
  output           jsonb,
  current_step     integer NOT NULL DEFAULT 0,
  -- Attempts made of the current step (its retry policy counts them).
  step_attempt     integer NOT NULL DEFAULT 0,
  retry_count      integer NOT NULL DEFAULT 0,
  failure_code     text,
  failure_message  text,
  lease_until      timestamptz,
  resume_at        timestamptz,
  created_by       text,
  queued_at        timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  completed_at     timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX workflow_execution_trigger ON workflow_execution (workflow_id, trigger_ref) WHERE trigger_ref IS NOT NULL;
CREATE INDEX workflow_execution_list ON workflow_execution (tenant_id, queued_at DESC);
CREATE INDEX workflow_execution_unfinished ON workflow_execution (updated_at) WHERE status IN ('queued', 'running', 'waiting');

-- The step timeline: one row per attempt. A row is `running` from before the step's side effect
-- until its outcome is written, so a crash leaves the evidence of a step that may have acted.
CREATE TABLE workflow_step_run (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL,
  execution_id   uuid NOT NULL REFERENCES workflow_execution (id) ON DELETE CASCADE,
  step_index     integer NOT NULL,
  step_id        text NOT NULL,
  type           text NOT NULL,
  attempt        integer NOT NULL,
  status         text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted', 'cancelled')),
  output         jsonb,
  error_code     text,
  error_message  text,
  started_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  completed_at   timestamptz
);
CREATE INDEX workflow_step_run_execution ON workflow_step_run (execution_id, started_at);
