import type { Server } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AccessControl } from '../http/access-control.ts';
import { graphQLContext } from './graphql-http.ts';
import { randomUUID } from 'node:crypto';

/**
 * graphql-ws on /graphql/ws, on the same HTTP server as Koa. The schema is read per operation, so a
 * plugin loaded or unloaded at runtime is visible to new subscriptions at once.
 */
export function attachGraphQLWebSocket(server: Server, currentSchema: () => GraphQLSchema, access: AccessControl) {
  const wss = new WebSocketServer({ server, path: '/graphql/ws' });
  const disposable = useServer(
    {
      schema: () => currentSchema(),
      context: async (ctx) => {
        const params = (ctx.connectionParams ?? {}) as Record<string, unknown>;
        const authorization =
          typeof params.authorization === 'string' ? params.authorization : typeof params.token === 'string' ? `Bearer ${params.token}` : undefined;
        const headers = { ...ctx.extra.request.headers, ...(authorization ? { authorization } : {}) };
        const principal = await access.authenticate({ headers }).catch(() => null);
        const tenant = typeof params.workspaceId === 'string' ? params.workspaceId : undefined;
        return graphQLContext(access, principal, tenant, randomUUID(), ctx.extra.request.socket.remoteAddress ?? 'unknown');
      },
    },
    wss,
  );
  return {
    async close() {
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
