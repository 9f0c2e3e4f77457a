-- The transactional outbox: an event is a row written in the same transaction as the change it
-- describes, so it exists exactly when the change does.

CREATE TABLE event_outbox (
  id          bigserial PRIMARY KEY,
  topic       text NOT NULL,
  tenant_id   text,
  payload     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX event_outbox_tenant ON event_outbox (tenant_id, id);

CREATE INDEX event_outbox_created ON event_outbox (created_at);
