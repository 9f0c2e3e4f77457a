-- Tenants, users and memberships, refresh-token families, API keys, RBAC policies, rate-limit
-- windows, idempotency records and the active license: everything identity and access needs.

CREATE TABLE tenant (
  tenant_id          text PRIMARY KEY CHECK (tenant_id ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name               text NOT NULL,
  plan               text NOT NULL DEFAULT 'free',
  contact_email      text,
  events_this_month  bigint NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE app_user (
  id                 uuid PRIMARY KEY,
  email              text NOT NULL,
  password_hash      text NOT NULL,
  platform_admin     boolean NOT NULL DEFAULT false,
  disabled           boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX app_user_email ON app_user (lower(email));

CREATE TABLE membership (
  user_id    uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  tenant_id  text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  role       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, tenant_id)
);

CREATE INDEX membership_tenant ON membership (tenant_id);

CREATE TABLE refresh_token (
  token_hash   text PRIMARY KEY,
  family_id    uuid NOT NULL,
  user_id      uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
  expires_at   timestamptz NOT NULL,
  rotated_at   timestamptz,
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX refresh_token_family ON refresh_token (family_id);

CREATE TABLE api_key (
  key_id          text PRIMARY KEY,
  tenant_id       text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  name            text NOT NULL,
  scope           text NOT NULL,
  prefix          text NOT NULL,
  key_hash        text NOT NULL UNIQUE,
  rate_limit_rps  integer NOT NULL,
  expires_at      timestamptz,
  revoked_at      timestamptz,
  created_by      text NOT NULL,
  last_used_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX api_key_tenant ON api_key (tenant_id, created_at DESC);

CREATE TABLE rbac_policy (
  id          bigserial PRIMARY KEY,
  ptype       text NOT NULL,
  v0 text NOT NULL DEFAULT '', v1 text NOT NULL DEFAULT '', v2 text NOT NULL DEFAULT '',
  v3 text NOT NULL DEFAULT '', v4 text NOT NULL DEFAULT '', v5 text NOT NULL DEFAULT '',
  source      text NOT NULL DEFAULT 'custom',
  UNIQUE (ptype, v0, v1, v2, v3, v4, v5)
);

CREATE UNLOGGED TABLE rate_limit_window (
  bucket        text NOT NULL,
  window_start  timestamptz NOT NULL,
  hits          integer NOT NULL,
  PRIMARY KEY (bucket, window_start)
);

CREATE TABLE idempotency_record (
  scope            text NOT NULL,
  idempotency_key  text NOT NULL,
  request_hash     text NOT NULL,
  state            text NOT NULL CHECK (state IN ('running', 'completed')),
  response_status  integer,
  response_headers jsonb,
  response_body    bytea,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  PRIMARY KEY (scope, idempotency_key)
);

CREATE INDEX idempotency_record_expiry ON idempotency_record (expires_at);

CREATE TABLE license (
  id            smallint PRIMARY KEY CHECK (id = 1),
  token         text NOT NULL,
  customer      text NOT NULL,
  plugins       text[] NOT NULL,
  expires_at    timestamptz,
  activated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE core_plugin_state DROP CONSTRAINT core_plugin_state_state_check;

ALTER TABLE core_plugin_state ADD CONSTRAINT core_plugin_state_state_check CHECK (state IN ('loaded', 'unloaded', 'failed', 'disabled', 'unlicensed'));
