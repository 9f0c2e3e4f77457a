import type { Principal } from '../plugin-api/index.ts';

export interface Credentials {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The router's one authorization hook. The identity layer supplies the real implementation; until
 * then the default admits nobody, so only operations marked public can be reached.
 */
export interface AccessControl {
  /** Returns the caller, null when no credentials were sent; throws AppError(unauthorized) for bad ones. */
  authenticate(request: Credentials): Promise<Principal | null>;
  /** Whether the principal holds `permission` (resource:action), in `tenantId` when given. */
  authorize(principal: Principal, permission: string, tenantId?: string): Promise<boolean>;
}

export const anonymousOnly: AccessControl = {
  authenticate: async () => null,
  authorize: async () => false,
};
