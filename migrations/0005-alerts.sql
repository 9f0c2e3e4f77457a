-- Alerts raised by core and plugins, the workspace's notification channels with their routing
-- rules, silences, and one row per notification sent (or attempted) to a channel.

CREATE TABLE alert (
  id             uuid PRIMARY KEY,
  tenant_id      text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  fingerprint    text NOT NULL,
  source         text NOT NULL,
  entity_type    text NOT NULL,
  entity_id      text NOT NULL,
  severity       text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
  status         text NOT NULL CHECK (status IN ('firing', 'resolved')),
  title          text NOT NULL,
  message        text,
  labels         jsonb NOT NULL DEFAULT '{}',
  count          integer NOT NULL DEFAULT 1,
  first_seen_at  timestamptz NOT NULL DEFAULT now(),
  last_seen_at   timestamptz NOT NULL DEFAULT now(),
  resolved_at    timestamptz,
  notified_at    timestamptz,
  silenced_by    uuid
);

CREATE UNIQUE INDEX alert_firing_fingerprint ON alert (tenant_id, fingerprint) WHERE status = 'firing';

CREATE INDEX alert_tenant_status_seen ON alert (tenant_id, status, last_seen_at DESC);

CREATE INDEX alert_tenant_seen ON alert (tenant_id, last_seen_at DESC);

CREATE TABLE notification_channel (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  name         text NOT NULL,
  type         text NOT NULL CHECK (type IN ('slack', 'discord', 'teams', 'webhook')),
  url          text NOT NULL,
  description  text,
  enabled      boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

CREATE TABLE channel_rule (
  id            uuid PRIMARY KEY,
  channel_id    uuid NOT NULL REFERENCES notification_channel (id) ON DELETE CASCADE,
  tenant_id     text NOT NULL,
  source        text,
  min_severity  text CHECK (min_severity IN ('critical', 'warning', 'info')),
  labels        jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX channel_rule_tenant ON channel_rule (tenant_id, channel_id);

CREATE TABLE silence (
  id            uuid PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  matchers      jsonb NOT NULL DEFAULT '{}',
  starts_at     timestamptz NOT NULL,
  ends_at       timestamptz NOT NULL CHECK (ends_at > starts_at),
  comment       text NOT NULL,
  created_by    text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  cancelled_at  timestamptz
);

CREATE INDEX silence_tenant_open ON silence (tenant_id, ends_at) WHERE cancelled_at IS NULL;

CREATE TABLE alert_notification (
  id                uuid PRIMARY KEY,
  tenant_id         text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  alert_id          uuid REFERENCES alert (id) ON DELETE CASCADE,
  channel_id        uuid REFERENCES notification_channel (id) ON DELETE SET NULL,
  channel_name      text NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('firing', 'resolved', 'test')),
  message           text,
  status            text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts          integer NOT NULL DEFAULT 0,
  last_status_code  integer,
  last_error        text,
  next_attempt_at   timestamptz NOT NULL DEFAULT now(),
  claimed_until     timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  sent_at           timestamptz
);

CREATE INDEX alert_notification_alert ON alert_notification (alert_id, created_at);

CREATE INDEX alert_notification_pending ON alert_notification (next_attempt_at) WHERE status = 'pending';
