-- A public status page is reached by a slug its workspace chooses, not by the workspace id: /status
-- with an id told anyone which workspace ids exist. No slug, no public page; existing pages stay
-- offline until an admin publishes one (PUT /api/v1/status/settings). The slug is unique across
-- workspaces: the public lookup crosses tenants (platform handle), by this index.
-- (No quote marks or question marks in these comments: the migrator numbers placeholders.)
CREATE TABLE status_page_settings (
  tenant_id   text PRIMARY KEY REFERENCES tenant (tenant_id) ON DELETE CASCADE,
  slug        text UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])*$' AND length(slug) <= 63),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
