import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context, Next } from 'koa';

/**
 * The absolute links the API hands out (ping URLs, badge URLs, artifact links). A configured
 * ITOPS_PUBLIC_URL wins; without one, a link is built on the origin the caller reached us at (so a
 * link copied from a response works from where it was read), and outside a request on the address
 * the server listens on. The request's origin is only tracked when no public URL is configured, so
 * a production setup pays nothing for it.
 */
export class PublicLinks {
  private readonly base: string | undefined;
  /** The request being served: its origin is only worked out when a link is made, which few requests do. */
  private readonly requests = new AsyncLocalStorage<Context['request']>();
  private listening = 'http://localhost';

  constructor(publicUrl: string | undefined) {
    this.base = publicUrl?.replace(/\/+$/, '');
  }

  /** The origin links fall back to outside a request, once the server listens. */
  listeningOn(origin: string) {
    this.listening = origin;
  }

  /** Koa middleware remembering the request's origin while it is served; none when a public URL is set. */
  middleware(): ((ctx: Context, next: Next) => Promise<void>) | undefined {
    if (this.base) return undefined;
    // Koa's origin honours X-Forwarded-Proto/Host only with ITOPS_TRUST_PROXY=true.
    return (ctx, next) => this.requests.run(ctx.request, next);
  }

  /** `path` (starting with `/`) on the platform's external base URL. */
  absoluteUrl(path: string): string {
    return `${this.base ?? this.requestOrigin() ?? this.listening}${path}`;
  }

  private requestOrigin(): string | undefined {
    const request = this.requests.getStore();
    return request?.host ? `${request.protocol}://${request.host}` : undefined;
  }
}
