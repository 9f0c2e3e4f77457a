import { type Enforcer, newEnforcer } from 'casbin';
import type { Logger } from '../logging/logger.ts';
import type { PermissionDeclaration, PolicyDeclaration } from '../plugin-api/index.ts';
import { type PolicyRule, PolicyAdapter } from './policy-adapter.ts';
import { createRbacModel } from './rbac-model.ts';
import type { SqlQuery as Query } from '../db/sql-handles.ts';

export interface DeclaredAccess {
  permissions: (PermissionDeclaration & { platform?: boolean })[];
  policies: PolicyDeclaration[];
}

const split = (permission: string) => {
  const at = permission.lastIndexOf(':');
  return [permission.slice(0, at), permission.slice(at + 1)] as const;
};

/**
 * Answers "may this role do resource:action in this tenant?" through Casbin. Decisions are cached
 * per (role, tenant, permission) and the cache is dropped whenever policies or the set of loaded
 * plugins change, so the per-request cost is one map lookup.
 */
export class RbacService {
  private enforcer?: Enforcer;
  private readonly decisions = new Map<string, boolean>();
  /** What one role holds that another lacks, per (holder, wanted, tenant); dropped with `decisions`. */
  private readonly shortfalls = new Map<string, string[]>();
  private declared: DeclaredAccess = { permissions: [], policies: [] };
  /** Which declared permissions are platform-wide; rebuilt on every reload (read on every request). */
  private platform = new Set<string>();

  constructor(
    private readonly query: Query,
    private readonly logger: Logger,
  ) {}

  /** Rebuilds the enforcer from the declarations of what is loaded now plus stored custom grants. */
  async reload(declared: DeclaredAccess = this.declared): Promise<void> {
    this.declared = declared;
    this.platform = new Set(declared.permissions.filter((p) => p.platform).map((p) => p.name));
    const defaults: PolicyRule[] = [
      // msp_admin holds every workspace permission (never platform ones) in every workspace.
      ...declared.permissions.filter((p) => !p.platform).map((p) => ({ ptype: 'p' as const, values: ['msp_admin', '*', ...split(p.name)] })),
      ...declared.policies.map((p) => ({ ptype: 'p' as const, values: [p.role, '*', ...split(p.permission)] })),
    ];
    const enforcer = await newEnforcer(createRbacModel(), new PolicyAdapter(this.query, () => defaults));
    this.enforcer = enforcer;
    this.forget();
    this.logger.debug({ rules: defaults.length }, 'rbac policies loaded');
  }

  isPlatformPermission(permission: string): boolean {
    return this.platform.has(permission);
  }

  allows(role: string, tenant: string, permission: string): boolean {
    const key = `${role}\u0000${tenant}\u0000${permission}`;
    let decision = this.decisions.get(key);
    if (decision === undefined) {
      if (!this.enforcer) throw new Error('rbac is not loaded');
      decision = this.enforcer.enforceSync(role, tenant, ...split(permission));
      if (this.decisions.size > 100_000) this.decisions.clear();
      this.decisions.set(key, decision);
    }
    return decision;
  }

  /**
   * Every declared permission the role holds in the tenant (for GET /rbac/permissions and API key
   * bounds). Asking Casbin once per permission costs a pass over every rule each time: with a few
   * hundred permissions and rules, 0.1-0.3 s of blocked event loop per role after every reload. So
   * the rules that reach the role are gathered once (`grantsOf`) and each permission is matched
   * against those few; `rbac-service.test.ts` holds this to the same answers as `allows`.
   */
  permissionsOf(role: string, tenant: string): string[] {
    const inTenant = this.grantsOf(role, tenant);
    const platformWide = this.grantsOf(role, '*');
    return this.declared.permissions
      .filter((p) => {
        const [resource, action] = split(p.name);
        return (p.platform ? platformWide : inTenant).some(([obj, act]) => (obj === '*' || obj === resource) && (act === '*' || act === action));
      })
      .map((p) => p.name)
      .sort();
  }

  /**
   * The (resource, action) pairs of the rules the model's matcher lets `role` use in `domain`: rules
   * of the role itself or of a role it inherits there (or in every domain), for that domain or `*`.
   */
  private grantsOf(role: string, domain: string): [string, string][] {
    if (!this.enforcer) throw new Error('rbac is not loaded');
    const roles = this.enforcer.getRoleManager();
    const reaches = new Map<string, boolean>();
    const holds = (subject: string) => {
      let held = reaches.get(subject);
      if (held === undefined) {
        held = subject === role || Boolean(roles.syncedHasLink?.(role, subject, domain)) || Boolean(roles.syncedHasLink?.(role, subject, '*'));
        reaches.set(subject, held);
      }
      return held;
    };
    return this.enforcer
      .getModel()
      .getPolicy('p', 'p')
      .filter(([subject, ruleDomain]) => (ruleDomain === '*' || ruleDomain === domain) && holds(subject))
      .map(([, , obj, act]) => [obj, act]);
  }

  /**
   * The permissions `wanted` holds in the tenant that `holder` does not: empty when `wanted` is
   * within `holder`. Compared by permission set, not by level, since roles of one level differ.
   */
  shortfall(holder: string, wanted: string, tenant: string): string[] {
    const key = `${holder}\u0000${wanted}\u0000${tenant}`;
    let missing = this.shortfalls.get(key);
    if (missing === undefined) {
      const held = new Set(this.permissionsOf(holder, tenant));
      missing = this.permissionsOf(wanted, tenant).filter((p) => !held.has(p));
      if (this.shortfalls.size > 10_000) this.shortfalls.clear();
      this.shortfalls.set(key, missing);
    }
    return missing;
  }

  private forget(): void {
    this.decisions.clear();
    this.shortfalls.clear();
  }

  /** Grants a permission to a role in one tenant (stored; survives restarts). */
  async grant(role: string, tenant: string, permission: string): Promise<void> {
    await this.enforcer?.addPolicy(role, tenant, ...split(permission));
    this.forget();
  }

  async revoke(role: string, tenant: string, permission: string): Promise<void> {
    await this.enforcer?.removePolicy(role, tenant, ...split(permission));
    this.forget();
  }
}
