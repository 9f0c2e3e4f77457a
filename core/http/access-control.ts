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
  /**
   * Checks that the principal holds `permission` (resource:action) and returns the workspace the
   * request acts in (undefined for platform permissions). `requestedTenant` is the x-workspace-id
   * header. Throws AppError: forbidden, not_found for a workspace the principal does not belong to,
   * bad_request when a workspace is needed but cannot be inferred.
   */
  authorize(principal: Principal, permission: string, requestedTenant?: string): Promise<string | undefined>;
}

export const anonymousOnly: AccessControl = {
  authenticate: async () => null,
  authorize: async () => {
    throw new Error('anonymous-only access control never authenticates anyone');
  },
};
