-- Webhook subscriptions of a workspace and one row per delivery of an event to a subscription.

CREATE TABLE webhook_subscription (
  id               uuid PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  url              text NOT NULL,
  topics           text[] NOT NULL DEFAULT '{}',
  description      text,
  secret           text NOT NULL,
  enabled          boolean NOT NULL DEFAULT true,
  disabled_reason  text,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX webhook_subscription_tenant ON webhook_subscription (tenant_id) WHERE enabled;

CREATE TABLE webhook_delivery (
  id                uuid PRIMARY KEY,
  subscription_id   uuid NOT NULL REFERENCES webhook_subscription (id) ON DELETE CASCADE,
  tenant_id         text NOT NULL,
  event_id          bigint NOT NULL,
  topic             text NOT NULL,
  status            text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts          integer NOT NULL DEFAULT 0,
  last_status_code  integer,
  last_error        text,
  next_attempt_at   timestamptz NOT NULL DEFAULT now(),
  claimed_until     timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subscription_id, event_id)
);

CREATE INDEX webhook_delivery_subscription ON webhook_delivery (subscription_id, created_at DESC);

CREATE INDEX webhook_delivery_pending ON webhook_delivery (next_attempt_at) WHERE status = 'pending';
