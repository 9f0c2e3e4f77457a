-- A tenant_id column is all it takes: the host adds the row-level security policy after migrating.
CREATE TABLE maintenance_note (
  id          uuid PRIMARY KEY,
  tenant_id   text NOT NULL,
  title       text NOT NULL,
  body        text NOT NULL DEFAULT '',
  author      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX maintenance_note_tenant_created ON maintenance_note (tenant_id, created_at DESC);
