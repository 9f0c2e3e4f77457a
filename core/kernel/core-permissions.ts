import { identityPermissions } from '../identity/identity.module.ts';

/** Permission names the core modules declare (the contract bundle checks operations against them). */
export function corePermissionNames(): string[] {
  return identityPermissions.map((p) => p.name);
}
