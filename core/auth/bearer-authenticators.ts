import type { BearerAuthenticator, BearerTokensService } from '../plugin-api/bearer-tokens.ts';

const prefixShape = /^[a-z][a-z0-9]*_$/;
// The platform's own API keys (`itops_…`) are never a plugin's to answer.
const reserved = new Set(['itops_']);

/** The bearer-token shapes plugins registered, by prefix (see BearerTokensService). */
export class BearerAuthenticators implements BearerTokensService {
  private readonly byPrefix = new Map<string, BearerAuthenticator>();

  register(prefix: string, authenticate: BearerAuthenticator): () => void {
    if (!prefixShape.test(prefix)) throw new Error(`bearer token prefix "${prefix}" must match ${prefixShape}`);
    if (reserved.has(prefix)) throw new Error(`bearer token prefix "${prefix}" is the platform's own (API keys)`);
    if (this.byPrefix.has(prefix)) throw new Error(`bearer token prefix "${prefix}" is already registered`);
    this.byPrefix.set(prefix, authenticate);
    return () => {
      if (this.byPrefix.get(prefix) === authenticate) this.byPrefix.delete(prefix);
    };
  }

  /** The authenticator of the token's prefix, if a plugin registered one. */
  authenticatorFor(token: string): BearerAuthenticator | undefined {
    const underscore = token.indexOf('_');
    return underscore > 0 ? this.byPrefix.get(token.slice(0, underscore + 1)) : undefined;
  }
}
