-- Badges: one random token per monitor, the only thing a public badge URL carries, so a README
-- image names no workspace and no monitor id. Rotating replaces the token; the old URL then
-- answers 404 like any unknown one. The public lookup crosses tenants (platform handle) by the
-- primary key. (No quote marks or question marks in these comments: the migrator numbers placeholders.)
CREATE TABLE monitor_badge (
  token        text PRIMARY KEY CHECK (length(token) BETWEEN 32 AND 64),
  tenant_id    text NOT NULL REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  target_type  text NOT NULL CHECK (target_type IN ('heartbeat', 'endpoint', 'component')),
  target_id    uuid NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, target_type, target_id)
);
