-- What the kernel loaded, when, and why a plugin stayed off: read by /.well-known/engine-status.

CREATE TABLE core_plugin_state (
  plugin_id   text PRIMARY KEY,
  version     text NOT NULL,
  state       text NOT NULL CHECK (state IN ('loaded', 'unloaded', 'failed', 'disabled')),
  error       text,
  changed_at  timestamptz NOT NULL DEFAULT now()
);
