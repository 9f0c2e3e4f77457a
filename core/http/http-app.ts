import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import { isConsoleRequest, serveConsole } from '../console/console-assets.ts';
import type { Logger } from '../logging/logger.ts';
import { DOCS_ASSETS_PREFIX, serveDocsAsset } from './docs/docs-assets.ts';
import { errorMiddleware } from './error-middleware.ts';
import type { HttpMetrics } from './http-metrics.ts';
import type { PublicLinks } from './public-links.ts';
import { requestContext } from './request-context.ts';

export type Route = (ctx: Koa.Context) => Promise<void>;

/**
 * The whole middleware stack. Koa's one extension point is `use`; the kernel composes four
 * middlewares and hands every request to the GraphQL endpoint or to the contract router.
 */
export function createHttpApp(options: {
  logger: Logger;
  metrics: HttpMetrics;
  bodyLimitBytes: number;
  trustProxy: boolean;
  graphql: Route;
  contract: Route;
  /** Requests whose operation reads its own body (`x-raw-body`); the body parser leaves them alone. */
  readsOwnBody?: (method: string, path: string) => boolean;
  /** Absolute links on the request's origin when no public URL is configured. */
  links?: PublicLinks;
}): Koa {
  const app = new Koa({ proxy: options.trustProxy });
  app.silent = true;
  app.use(requestContext(options.logger, options.metrics));
  app.use(errorMiddleware());
  const linksByOrigin = options.links?.middleware();
  if (linksByOrigin) app.use(linksByOrigin);
  const parsedMethods = ['POST', 'PUT', 'PATCH', 'DELETE'];
  const parseBody = bodyParser({
    enableTypes: ['json', 'form', 'text'],
    jsonLimit: options.bodyLimitBytes,
    formLimit: options.bodyLimitBytes,
    textLimit: options.bodyLimitBytes,
    parsedMethods,
  });
  const ownBody = options.readsOwnBody;
  app.use((ctx, next) => (!parsedMethods.includes(ctx.method) || ownBody?.(ctx.method, ctx.path) ? next() : parseBody(ctx, next)));
  app.use(async (ctx) => {
    if (ctx.path === '/graphql') return options.graphql(ctx);
    if (ctx.path.startsWith(DOCS_ASSETS_PREFIX)) return serveDocsAsset(ctx);
    if (isConsoleRequest(ctx)) return serveConsole(ctx);
    return options.contract(ctx);
  });
  return app;
}
