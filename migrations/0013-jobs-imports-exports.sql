-- Workspace jobs a user starts and follows (imports and exports, `GET /api/v1/jobs`), and the files
-- they produce (export files, import error reports), downloaded through expiring signed links.
-- pg-boss runs the work; these rows are the user's view of it, kept after pg-boss archives its jobs.

CREATE TABLE core_job_run (
  id              uuid PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  type            text NOT NULL CHECK (type IN ('import', 'export')),
  kind            text NOT NULL,
  format          text NOT NULL CHECK (format IN ('csv', 'json', 'ndjson', 'yaml')),
  mode            text NOT NULL DEFAULT 'all_or_nothing' CHECK (mode IN ('all_or_nothing', 'best_effort')),
  dry_run         boolean NOT NULL DEFAULT false,
  state           text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'completed', 'failed')),
  queued_at       timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  completed_at    timestamptz,
  retry_count     integer NOT NULL DEFAULT 0,
  error_code      text,
  error_message   text,
  rows_read       bigint NOT NULL DEFAULT 0,
  rows_written    bigint NOT NULL DEFAULT 0,
  rows_rejected   bigint NOT NULL DEFAULT 0,
  -- The upload waiting to be imported (a file under the data directory), removed once imported.
  input_file      text,
  -- The export file, or the import's error report.
  artifact_id     uuid,
  created_by      text
);

CREATE INDEX core_job_run_tenant_queued ON core_job_run (tenant_id, queued_at DESC);
CREATE INDEX core_job_run_active ON core_job_run (tenant_id, state) WHERE state IN ('queued', 'running');

CREATE TABLE core_artifact (
  id            uuid PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  file_name     text NOT NULL,
  content_type  text NOT NULL,
  -- Where the bytes are, relative to the store's root (the data directory's artifacts folder).
  storage_key   text NOT NULL,
  size_bytes    bigint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL DEFAULT now() + interval '7 days'
);

CREATE INDEX core_artifact_expiry ON core_artifact (expires_at);
