import type { Principal } from './types.ts';

/**
 * Resolves a bearer token a plugin issued itself (a client-portal session) to its caller. Throws
 * AppError(unauthorized) for a token that is unknown, expired or ended.
 */
export type BearerAuthenticator = (token: string) => Promise<Principal>;

/**
 * Lets a plugin authenticate bearer tokens of its own shape. A token is the plugin's when it starts
 * with the prefix it registered (letters, digits and `_`, ending in `_`, e.g. `itp_`): the platform
 * then asks only that plugin, and never tries it as a login JWT or an API key. The principal the
 * plugin answers is authorized as any other (its memberships' roles and the policies).
 */
export interface BearerTokensService {
  /** Returns the undo; call it from `ctx.onUnload` so an unloaded plugin's tokens stop working. */
  register(prefix: string, authenticate: BearerAuthenticator): () => void;
}
