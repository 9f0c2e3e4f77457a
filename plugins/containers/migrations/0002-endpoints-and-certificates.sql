-- Endpoint checks and certificate monitors of the containers plugin, their check results and the
-- endpoints' status changes (flips), from which uptime is computed by time.
-- Scheduling lives in the rows: `next_check_at` is when a monitor is due, `phase_seconds` its own
-- offset inside the interval (chosen at random when it is created), so the checks of many monitors
-- with one interval are spread over it instead of firing together. Nodes claim due rows with
-- `FOR UPDATE SKIP LOCKED` through the partial `*_due` indexes, moving `next_check_at` to the next
-- slot of the phase in the same statement: each check runs once across the nodes, no timer per
-- monitor. `alert_firing` / `alerted_state` record what the core alert reflects; the partial indexes
-- find the monitors whose alert must be raised or resolved.

CREATE TABLE endpoint (
  id                    uuid PRIMARY KEY,
  tenant_id             text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  name                  text NOT NULL,
  description           text,
  url                   text NOT NULL,
  scheme                text NOT NULL CHECK (scheme IN ('http', 'https', 'tcp')),
  host                  text NOT NULL,
  port                  integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  method                text NOT NULL DEFAULT 'GET',
  expected_status       text NOT NULL DEFAULT '200-299',
  keyword               text,
  invert_keyword        boolean NOT NULL DEFAULT false,
  headers               jsonb NOT NULL DEFAULT '{}',
  body                  text,
  timeout_seconds       integer NOT NULL CHECK (timeout_seconds > 0),
  interval_seconds      integer NOT NULL CHECK (interval_seconds > timeout_seconds),
  phase_seconds         integer NOT NULL CHECK (phase_seconds >= 0),
  failure_threshold     integer NOT NULL CHECK (failure_threshold > 0),
  follow_redirects      boolean NOT NULL DEFAULT true,
  ignore_tls_errors     boolean NOT NULL DEFAULT false,
  monitor_certificate   boolean NOT NULL DEFAULT true,
  enabled               boolean NOT NULL DEFAULT true,
  source                text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'labels')),
  container_id          text,
  label_key             text,
  status                text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'up', 'down', 'paused')),
  status_changed_at     timestamptz NOT NULL DEFAULT now(),
  consecutive_failures  integer NOT NULL DEFAULT 0,
  failing_since         timestamptz,
  last_check_at         timestamptz,
  last_check_ok         boolean,
  last_response_ms      integer,
  last_status_code      integer,
  last_error            text,
  next_check_at         timestamptz,
  alert_firing          boolean NOT NULL DEFAULT false,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CHECK ((source = 'labels') = (container_id IS NOT NULL AND label_key IS NOT NULL))
);

CREATE INDEX endpoint_tenant_name ON endpoint (tenant_id, lower(name));

CREATE INDEX endpoint_tenant_target ON endpoint (tenant_id, host, port);

CREATE UNIQUE INDEX endpoint_label ON endpoint (tenant_id, container_id, label_key) WHERE source = 'labels';

CREATE INDEX endpoint_due ON endpoint (next_check_at) WHERE next_check_at IS NOT NULL;

CREATE INDEX endpoint_alert_pending ON endpoint (id) WHERE (status = 'down') <> alert_firing;

CREATE TABLE endpoint_check (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL,
  endpoint_id    uuid NOT NULL REFERENCES endpoint (id) ON DELETE CASCADE,
  checked_at     timestamptz NOT NULL,
  ok             boolean NOT NULL,
  response_ms    integer,
  status_code    integer,
  error          text,
  address        text
);

CREATE INDEX endpoint_check_endpoint_at ON endpoint_check (endpoint_id, checked_at DESC);

CREATE INDEX endpoint_check_at ON endpoint_check USING brin (checked_at);

CREATE TABLE endpoint_flip (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id    text NOT NULL,
  endpoint_id  uuid NOT NULL REFERENCES endpoint (id) ON DELETE CASCADE,
  at           timestamptz NOT NULL,
  from_status  text NOT NULL,
  to_status    text NOT NULL,
  reason       text
);

CREATE INDEX endpoint_flip_endpoint_at ON endpoint_flip (endpoint_id, at);

CREATE TABLE certificate (
  id                 uuid PRIMARY KEY,
  tenant_id          text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  name               text NOT NULL,
  host               text NOT NULL,
  port               integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  server_name        text NOT NULL,
  source             text NOT NULL CHECK (source IN ('manual', 'endpoint')),
  warning_days       integer[] NOT NULL DEFAULT '{30,14,7,3,1}',
  interval_seconds   integer NOT NULL CHECK (interval_seconds > 0),
  timeout_seconds    integer NOT NULL CHECK (timeout_seconds > 0),
  phase_seconds      integer NOT NULL CHECK (phase_seconds >= 0),
  validate           boolean NOT NULL DEFAULT true,
  ca_pem             text,
  status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'valid', 'expiring', 'expired', 'invalid', 'error')),
  status_reason      text,
  subject            text,
  issuer             text,
  serial_number      text,
  fingerprint256     text,
  not_before         timestamptz,
  not_after          timestamptz,
  subject_alt_names  text[] NOT NULL DEFAULT '{}',
  chain              jsonb NOT NULL DEFAULT '[]',
  chain_valid        boolean,
  chain_error        text,
  hostname_valid     boolean,
  hostname_error     text,
  last_check_at      timestamptz,
  last_error         text,
  next_check_at      timestamptz,
  alert_state        text NOT NULL DEFAULT 'ok',
  alerted_state      text NOT NULL DEFAULT 'ok',
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, host, port, server_name)
);

CREATE INDEX certificate_due ON certificate (next_check_at) WHERE next_check_at IS NOT NULL;

CREATE INDEX certificate_alert_pending ON certificate (id) WHERE alert_state <> alerted_state;

CREATE TABLE certificate_check (
  id               uuid PRIMARY KEY,
  tenant_id        text NOT NULL,
  certificate_id   uuid NOT NULL REFERENCES certificate (id) ON DELETE CASCADE,
  checked_at       timestamptz NOT NULL,
  ok               boolean NOT NULL,
  status           text NOT NULL,
  duration_ms      integer,
  address          text,
  error            text,
  not_after        timestamptz,
  fingerprint256   text,
  chain_valid      boolean,
  chain_error      text,
  hostname_valid   boolean,
  hostname_error   text
);

CREATE INDEX certificate_check_certificate_at ON certificate_check (certificate_id, checked_at DESC);
