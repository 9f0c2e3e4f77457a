import { ok } from '@itops/sdk';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { api, chooseWorkspace } from './api.ts';

export interface ConsolePage {
  plugin: string;
  path: string;
  title: string;
  navGroup: string;
  permission: string;
  list?: string;
  columns?: string[];
  /** A create operation offered as a form, with its request schema (`GET /api/v1/console/pages`). */
  create?: { operationId: string; label: string; method: 'POST'; path: string; permission: string; schema: Record<string, unknown> };
  /** The rows' own page (`GET <list>/{param}`), with its edit form and delete when the contract has them. */
  record?: {
    path: string;
    param: string;
    permission: string;
    update?: { operationId: string; method: 'PATCH' | 'PUT'; permission: string; schema: Record<string, unknown> };
    remove?: { operationId: string; permission: string };
    actions?: { operationId: string; label: string; path: string; permission: string; schema?: Record<string, unknown> }[];
    lists?: { operationId: string; title: string; path: string; permission: string; columns?: string[] }[];
  };
}

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
