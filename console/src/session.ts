import { type components, ok } from '@itops/sdk';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { api, chooseWorkspace } from './api.ts';

/** A plugin's page as `GET /api/v1/console/pages` describes it (list, create form, record view). */
export type ConsolePage = components['schemas']['ConsolePage'];

/** Who is signed in, where, and what they may see: read once at sign-in and on a workspace switch. */
export interface Session {
  name: string;
  platformAdmin: boolean;
  workspaces: string[];
  workspace: string | undefined;
  role: string | undefined;
  permissions: Set<string>;
  pages: ConsolePage[];
}

export async function loadSession(): Promise<Session> {
  const me = await ok(api.GET('/api/v1/auth/me'));
  const workspaces = me.memberships.map((m) => m.tenantId);
  if (me.platformAdmin) {
    try {
      const all = await ok(api.GET('/api/v1/tenants'));
      for (const tenant of all.tenants) if (!workspaces.includes(tenant.tenant_id)) workspaces.push(tenant.tenant_id);
    } catch {
      // A platform admin without tenants:read still has their memberships.
    }
  }
  let workspace = api.auth.workspaceId;
  if (!workspace || !workspaces.includes(workspace)) workspace = workspaces[0];
  chooseWorkspace(workspace);
  let role: string | undefined;
  let permissions = new Set<string>();
  if (workspace) {
    try {
      const mine = await ok(api.GET('/api/v1/rbac/permissions', {}));
      role = mine.role;
      permissions = new Set(mine.permissions);
    } catch {
      // Not a member (a platform admin looking in): the pages themselves say what is refused.
    }
  }
  const pages = (await ok(api.GET('/api/v1/console/pages'))).data;
  return { name: me.name ?? me.id, platformAdmin: me.platformAdmin, workspaces, workspace, role, permissions, pages };
}

export const SessionContext = createContext<{ session: Session; refresh: () => void } | undefined>(undefined);

export function useSession(): { session: Session; refresh: () => void } {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside the signed-in console');
  return value;
}

/** Whether the user holds a permission here (a `*` grant covers everything). */
export function can(session: Session, permission: string): boolean {
  return session.platformAdmin || session.permissions.has(permission) || session.permissions.has('*');
}
