-- Settings and encrypted secrets of the platform and of each workspace, and the one-time links of
-- the first run. A secret's value is stored only as AES-256-GCM ciphertext under a data key of its
-- own; the data key is stored only wrapped by the master key (named by its fingerprint), so
-- rotating the master key rewrites the wrapped keys and never the values.

CREATE TABLE platform_setting (
  singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  settings    jsonb NOT NULL DEFAULT '{}',
  version     integer NOT NULL DEFAULT 0,
  updated_by  text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspace_setting (
  tenant_id   text PRIMARY KEY REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  settings    jsonb NOT NULL DEFAULT '{}',
  version     integer NOT NULL DEFAULT 0,
  updated_by  text,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE platform_secret (
  key             text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.-]{0,127}$'),
  version         integer NOT NULL CHECK (version > 0),
  ciphertext      bytea NOT NULL,
  wrapped_key     bytea NOT NULL,
  master_key_id   text NOT NULL,
  updated_by      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspace_secret (
  tenant_id       text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  key             text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_.-]{0,127}$'),
  version         integer NOT NULL CHECK (version > 0),
  ciphertext      bytea NOT NULL,
  wrapped_key     bytea NOT NULL,
  master_key_id   text NOT NULL,
  updated_by      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);

CREATE INDEX workspace_secret_master_key ON workspace_secret (master_key_id);

-- Only a hash of the token is kept: the link printed at boot is the one place the token exists.
CREATE TABLE setup_token (
  token_hash  text PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now(),
  used_at     timestamptz
);
