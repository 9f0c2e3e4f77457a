import { defineList, type SqlQuery } from '../../../core/plugin-api/index.ts';

interface CredentialRow {
  kind: string;
  id: string;
  name: string;
  role: string;
  active: boolean;
  created_at: string | null;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  created_by: string | null;
}

const time = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Everything that can act on the workspace, for an access review: its members (role, whether the
 * account is enabled, last sign-in) and its API keys (scope, last use, expiry, revocation). The
 * workspace's rows only, by row-level security on membership and api_key; a user's last sign-in is
 * the newest refresh token of theirs. Portal sessions join here once a portal plugin keeps them.
 */
const credentials = defineList({
  from: `(
    SELECT 'user' AS kind, u.id::text AS id, u.email AS name, m.role AS role, NOT u.disabled AS active,
           m.created_at, (SELECT max(r.created_at) FROM refresh_token r WHERE r.user_id = u.id) AS last_used_at,
           NULL::timestamptz AS expires_at, NULL::timestamptz AS revoked_at, NULL::text AS created_by
    FROM membership m JOIN app_user u ON u.id = m.user_id
    UNION ALL
    SELECT 'api_key', k.key_id, k.name, k.scope, k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()),
           k.created_at, k.last_used_at, k.expires_at, k.revoked_at, k.created_by
    FROM api_key k
  ) AS credential`,
  select: `kind, id, name, role, active, ${time('created_at')} AS created_at, ${time('last_used_at')} AS last_used_at,
    ${time('expires_at')} AS expires_at, ${time('revoked_at')} AS revoked_at, created_by`,
  sortable: { kind: 'kind', name: 'name', createdAt: 'credential.created_at', lastUsedAt: 'credential.last_used_at' },
  defaultSort: 'kind',
  equals: { kind: 'kind', active: 'active' },
  search: ['name', 'role', 'id'],
  tieBreaker: 'id',
  nullsLast: true,
  view: (row: CredentialRow) => ({
    kind: row.kind,
    id: row.id,
    name: row.name,
    role: row.role,
    active: row.active,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    createdBy: row.created_by,
  }),
});

export function credentialPage(db: { query: SqlQuery }, query: Record<string, unknown>) {
  return credentials.page(db, query);
}
