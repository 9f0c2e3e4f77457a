import { AppError, type DatabaseService, type OperationRequest } from '../../../core/plugin-api/index.ts';

type SettingsRow = { slug: string | null; updated_at: Date | null };

const view = (row: SettingsRow | undefined) => ({
  slug: row?.slug ?? null,
  updatedAt: row?.updated_at ? new Date(row.updated_at).toISOString() : null,
});

/** A workspace's public status-page settings: the slug it is published under, or none. */
export function statusSettingsHandlers(deps: { database: DatabaseService; clock: () => Date }) {
  const { database, clock } = deps;
  return {
    async getStatusPageSettings(req: OperationRequest) {
      const [row] = await database.forTenant(req.tenantId as string).query<SettingsRow>('SELECT slug, updated_at FROM status_page_settings');
      return view(row);
    },

    async updateStatusPageSettings(req: OperationRequest<{ slug: string | null }>) {
      const tenantId = req.tenantId as string;
      try {
        const [row] = await database.forTenant(tenantId).query<SettingsRow>(
          `INSERT INTO status_page_settings (tenant_id, slug, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (tenant_id) DO UPDATE SET slug = EXCLUDED.slug, updated_at = EXCLUDED.updated_at RETURNING slug, updated_at`,
          [tenantId, req.body.slug, clock().toISOString()],
        );
        return view(row);
      } catch (error) {
        if ((error as { code?: string }).code === '23505') throw new AppError('conflict', 'This status page slug is taken; choose another');
        throw error;
      }
    },
  };
}

/**
 * The workspace a public slug names, if any. Crosses tenants by design (the visitor has no
 * workspace yet); a value that is not a slug at all names none.
 */
export async function workspaceOfSlug(database: DatabaseService, slug: string | undefined): Promise<string | undefined> {
  if (!slug || !/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(slug) || slug.length > 63) return undefined;
  const [row] = await database.platform.query<{ tenant_id: string }>('SELECT tenant_id FROM status_page_settings WHERE slug = ?', [slug]);
  return row?.tenant_id;
}
