-- Accounting exports as tracked jobs: what was asked, its lifecycle (the workspace jobs contract's
-- fields) and the file it produced.
CREATE TABLE portal_accounting_sync (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL,
  adapter        text NOT NULL,
  format         text NOT NULL CHECK (format IN ('csv', 'json')),
  since          timestamptz,
  state          text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'completed', 'failed')),
  queued_at      timestamptz NOT NULL DEFAULT now(),
  started_at     timestamptz,
  completed_at   timestamptz,
  retry_count    integer NOT NULL DEFAULT 0,
  error_code     text,
  error_message  text,
  invoices       integer NOT NULL DEFAULT 0,
  payments       integer NOT NULL DEFAULT 0,
  media_type     text,
  content        text,
  created_by     text NOT NULL
);
CREATE INDEX portal_accounting_sync_queued ON portal_accounting_sync (tenant_id, queued_at DESC);
