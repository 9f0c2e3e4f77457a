import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Config } from '../../config/config.ts';
import { handleGraphQL } from '../../graphql/graphql-http.ts';
import { setQueryLimits } from '../../graphql/query-limits.ts';
import { attachGraphQLWebSocket } from '../../graphql/graphql-ws-server.ts';
import type { AccessControl } from '../../http/access-control.ts';
import { createHttpApp } from '../../http/http-app.ts';
import type { PublicLinks } from '../../http/public-links.ts';
import { HttpMetrics } from '../../http/http-metrics.ts';
import { applyKeepAlive, capUnfinishedRequests, logClientErrors, serverOptions } from '../../http/slow-clients.ts';
import type { Logger } from '../../logging/logger.ts';
import { InFlight } from '../in-flight.ts';
import type { PluginHost } from '../plugin-host.ts';
import { bootModule } from './stop-steps.ts';

/**
 * The one server for HTTP, GraphQL and GraphQL over WebSocket, serving whatever contract and schema
 * the plugin host has swapped in; it counts requests in flight so that stopping can let them finish.
 */
export function startHttp(deps: { config: Config; logger: Logger; metrics: Registry; plugins: PluginHost; access: AccessControl; links: PublicLinks }) {
  const { config, logger, plugins, access } = deps;
  return bootModule(logger, async (onStop) => {
    const inFlight = new InFlight();
    const queryLimits = {
      maxDepth: config.graphqlMaxDepth,
      maxCost: config.graphqlMaxCost,
      listFactor: config.graphqlListFactor,
      introspection: config.graphqlIntrospection,
    };
    const app = createHttpApp({
      logger,
      metrics: new HttpMetrics(deps.metrics),
      bodyLimitBytes: config.bodyLimitBytes,
      trustProxy: config.trustProxy,
      graphql: (ctx) => handleGraphQL(ctx, plugins.currentSchema(), access, queryLimits),
      contract: (ctx) => plugins.currentRouter().dispatch(ctx),
      readsOwnBody: (method, path) => plugins.currentRouter().readsOwnBody(method, path),
      links: deps.links,
    });
    // Slow clients (a body dripped a byte at a time) are cut off at a deadline and capped per address.
    const limits = {
      requestTimeoutMs: config.httpRequestTimeoutMs,
      headersTimeoutMs: config.httpHeadersTimeoutMs,
      keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
      maxUnfinishedPerAddress: config.httpMaxUnfinishedRequestsPerAddress,
    };
    const server = http.createServer(serverOptions(limits), capUnfinishedRequests(inFlight.wrap(app.callback()), limits.maxUnfinishedPerAddress));
    applyKeepAlive(server, limits);
    logClientErrors(server, logger);
    // GraphQL over WebSocket validates with the same limits (graphql-ws-server reads them per server).
    setQueryLimits(server, queryLimits);
    const ws = attachGraphQLWebSocket(server, () => plugins.currentSchema(), access);
    onStop(() => ws.close());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    deps.links.listeningOn(`http://localhost:${(server.address() as AddressInfo).port}`);
    return { server, inFlight };
  });
}
