CREATE TABLE example_score (
  id          uuid PRIMARY KEY,
  tenant_id   text NOT NULL,
  label       text NOT NULL,
  score       double precision NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX example_score_tenant_created ON example_score (tenant_id, created_at DESC);
