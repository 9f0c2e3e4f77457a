-- The MSP's customers and what their portal users see. Row-level security on tenant_id is added by
-- the host; the restrictive `portal_client_scope` policies below narrow a portal session's
-- transactions (which set itops.portal_client_id) to its own client's rows. Staff transactions
-- never set it and see the whole workspace.
CREATE TABLE portal_client (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL,
  name         text NOT NULL,
  email        text,
  external_ref text,
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  tags         text[] NOT NULL DEFAULT '{}',
  version      integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX portal_client_name ON portal_client (tenant_id, lower(name));

-- Invites: the token is shown once; only its SHA-256 is kept. Single use (used_at), expiring.
CREATE TABLE portal_invite (
  id          uuid PRIMARY KEY,
  tenant_id   text NOT NULL,
  client_id   uuid NOT NULL REFERENCES portal_client (id) ON DELETE CASCADE,
  email       text NOT NULL,
  token_hash  bytea NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_invite_client ON portal_invite (tenant_id, client_id, created_at DESC);

CREATE TABLE portal_session (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL,
  client_id      uuid NOT NULL REFERENCES portal_client (id) ON DELETE CASCADE,
  invite_id      uuid REFERENCES portal_invite (id) ON DELETE SET NULL,
  email          text NOT NULL,
  token_hash     bytea NOT NULL UNIQUE,
  expires_at     timestamptz NOT NULL,
  terminated_at  timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE portal_article (
  id          uuid PRIMARY KEY,
  tenant_id   text NOT NULL,
  -- A client's own article (null: every client's, when its visibility allows).
  client_id   uuid REFERENCES portal_client (id) ON DELETE CASCADE,
  title       text NOT NULL,
  body        text NOT NULL DEFAULT '',
  visibility  text NOT NULL CHECK (visibility IN ('internal', 'client', 'public')),
  tags        text[] NOT NULL DEFAULT '{}',
  search      tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', coalesce(title, '')), 'A') || setweight(to_tsvector('english', coalesce(body, '')), 'B')
              ) STORED,
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX portal_article_search ON portal_article USING gin (search);

CREATE TABLE portal_quote (
  id               uuid PRIMARY KEY,
  tenant_id        text NOT NULL,
  client_id        uuid NOT NULL REFERENCES portal_client (id) ON DELETE CASCADE,
  number           text NOT NULL,
  title            text NOT NULL,
  currency         char(3) NOT NULL,
  lines            jsonb NOT NULL DEFAULT '[]',
  subtotal_minor   bigint NOT NULL DEFAULT 0,
  tax_minor        bigint NOT NULL DEFAULT 0,
  total_minor      bigint NOT NULL DEFAULT 0,
  status           text NOT NULL DEFAULT 'sent' CHECK (status IN ('draft', 'sent', 'accepted', 'declined')),
  valid_until      timestamptz,
  decision_reason  text,
  decided_at       timestamptz,
  decided_by       text,
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX portal_quote_number ON portal_quote (tenant_id, number);

CREATE TABLE portal_invoice (
  id               uuid PRIMARY KEY,
  tenant_id        text NOT NULL,
  client_id        uuid NOT NULL REFERENCES portal_client (id) ON DELETE CASCADE,
  number           text NOT NULL,
  currency         char(3) NOT NULL,
  status           text NOT NULL DEFAULT 'issued' CHECK (status IN ('draft', 'issued', 'paid', 'void')),
  issued_at        timestamptz NOT NULL DEFAULT now(),
  due_at           timestamptz NOT NULL,
  subtotal_minor   bigint NOT NULL DEFAULT 0,
  tax_minor        bigint NOT NULL DEFAULT 0,
  total_minor      bigint NOT NULL DEFAULT 0,
  paid_minor       bigint NOT NULL DEFAULT 0,
  overdue_at       timestamptz,
  acknowledged_at  timestamptz,
  acknowledged_by  text,
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX portal_invoice_number ON portal_invoice (tenant_id, number);
-- The daily overdue sweep reads only open invoices past due.
CREATE INDEX portal_invoice_due ON portal_invoice (due_at) WHERE status = 'issued' AND overdue_at IS NULL;

CREATE TABLE portal_invoice_line (
  id            uuid PRIMARY KEY,
  tenant_id     text NOT NULL,
  client_id     uuid NOT NULL,
  invoice_id    uuid NOT NULL REFERENCES portal_invoice (id) ON DELETE CASCADE,
  position      integer NOT NULL,
  description   text NOT NULL,
  quantity      integer NOT NULL,
  unit_minor    bigint NOT NULL,
  tax_rate_bp   integer NOT NULL,
  net_minor     bigint NOT NULL,
  tax_minor     bigint NOT NULL,
  UNIQUE (invoice_id, position)
);

CREATE TABLE portal_payment (
  id            uuid PRIMARY KEY,
  tenant_id     text NOT NULL,
  client_id     uuid NOT NULL REFERENCES portal_client (id) ON DELETE CASCADE,
  invoice_id    uuid NOT NULL REFERENCES portal_invoice (id) ON DELETE CASCADE,
  provider      text NOT NULL,
  status        text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
  amount_minor  bigint NOT NULL,
  currency      char(3) NOT NULL,
  reference     text NOT NULL,
  instructions  jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
-- One open payment intent per invoice: asking again answers the same intent.
CREATE UNIQUE INDEX portal_payment_open ON portal_payment (invoice_id) WHERE status = 'pending';

CREATE POLICY portal_client_scope ON portal_client AS RESTRICTIVE
  USING (nullif(current_setting('itops.portal_client_id', true), '') IS NULL OR id = nullif(current_setting('itops.portal_client_id', true), '')::uuid);
CREATE POLICY portal_client_scope ON portal_invite AS RESTRICTIVE
  USING (nullif(current_setting('itops.portal_client_id', true), '') IS NULL OR client_id = nullif(current_setting('itops.portal_client_id', true), '')::uuid);
CREATE POLICY portal_client_scope ON portal_session AS RESTRICTIVE
  USING (nullif(current_setting('itops.portal_client_id', true), '') IS NULL OR client_id = nullif(current_setting('itops.portal_client_id', true), '')::uuid);
CREATE POLICY portal_client_scope ON portal_quote AS RESTRICTIVE
  USING (nullif(current_setting('itops.portal_client_id', true), '') IS NULL OR client_id = nullif(current_setting('itops.portal_client_id', true), '')::uuid);
CREATE POLICY portal_client_scope ON portal_invoice AS RESTRICTIVE
  USING (nullif(current_setting('itops.portal_client_id', true), '') IS NULL OR client_id = nullif(current_setting('itops.portal_client_id', true), '')::uuid);
CREATE POLICY portal_client_scope ON portal_invoice_line AS RESTRICTIVE
  USING (nullif(current_setting('itops.portal_client_id', true), '') IS NULL OR client_id = nullif(current_setting('itops.portal_client_id', true), '')::uuid);
CREATE POLICY portal_client_scope ON portal_payment AS RESTRICTIVE
  USING (nullif(current_setting('itops.portal_client_id', true), '') IS NULL OR client_id = nullif(current_setting('itops.portal_client_id', true), '')::uuid);
-- Articles: a portal session never sees internal ones, nor another client's own.
CREATE POLICY portal_client_scope ON portal_article AS RESTRICTIVE
  USING (nullif(current_setting('itops.portal_client_id', true), '') IS NULL
         OR (visibility <> 'internal' AND (client_id IS NULL OR client_id = nullif(current_setting('itops.portal_client_id', true), '')::uuid)));
