import type { Server } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AccessControl } from '../http/access-control.ts';
import { graphQLContext, presentError } from './graphql-http.ts';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../plugin-api/index.ts';
import { canWatch, mayAffect } from '../auth/access-change.ts';
import { wsQueryLimitOptions } from './query-limits.ts';
import { type DirectSend, SharedSubscriptions } from './shared-subscriptions.ts';
import type { WebSocket } from 'ws';

const sameAccess = (a: Principal, b: Principal) =>
  a.platformAdmin === b.platformAdmin &&
  a.memberships.length === b.memberships.length &&
  a.memberships.every((m) => b.memberships.some((n) => n.tenantId === m.tenantId && n.role === m.role));

const maxBufferedBytes = 1 << 20;

/**
 * What decides a subscription's results besides its document: the workspace asked for and the
 * principal's access. Authorization reads only these (kind, platform admin, memberships), so
 * callers with the same key get the same results and may share one execution.
 */
const accessKey = (principal: Principal | null, requestedTenant: string | undefined) =>
  JSON.stringify([
    requestedTenant ?? null,
    principal?.kind ?? null,
    principal?.platformAdmin ?? false,
    principal?.tenantId ?? null,
    (principal?.memberships ?? []).map((m) => `${m.tenantId}:${m.role}`).sort(),
  ]);

/**
 * Sends a result serialized once for all subscribers of a shared subscription as this
 * subscription's `next` message, byte for byte what graphql-ws would send; a socket too far behind
 * is closed as onNext closes it.
 */
function directSend(socket: WebSocket, id: string): DirectSend {
  const prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  return (resultJson) => {
    if (socket.readyState !== socket.OPEN || closedIfBehind(socket)) return false;
    socket.send(`${prefix}${resultJson}}`);
    return true;
  };
}

/** A client whose socket cannot keep up is disconnected rather than buffered without bound. */
function closedIfBehind(socket: WebSocket): boolean {
  if (socket.bufferedAmount <= maxBufferedBytes) return false;
  socket.close(1013, 'Client too slow; reconnect');
  return true;
}

/**
 * graphql-ws on /graphql/ws, on the same HTTP server as Koa. The schema is read per operation, so a
 * plugin loaded or unloaded at runtime is visible to new subscriptions at once.
 */
export function attachGraphQLWebSocket(server: Server, currentSchema: () => GraphQLSchema, access: AccessControl) {
  const wss = new WebSocketServer({ server, path: '/graphql/ws' });
  const principals = new WeakMap<object, Principal>();
  /** Per operation's context: its access key (which subscriptions it may share) and how to send it a shared result. */
  const sharingOf = new WeakMap<object, { access: string; direct: DirectSend }>();
  const shared = new SharedSubscriptions();
  const disposable = useServer(
    {
      schema: () => currentSchema(),
      // The same depth, cost and introspection limits as GraphQL over HTTP.
      ...wsQueryLimitOptions(server),
      // Credentials come in connection_init: { authorization: 'Bearer <jwt>' } (or token, or apiKey).
      onConnect: async (ctx) => {
        const params = (ctx.connectionParams ?? {}) as Record<string, unknown>;
        const authorization =
          typeof params.authorization === 'string' ? params.authorization : typeof params.token === 'string' ? `Bearer ${params.token}` : undefined;
        const headers: Record<string, string> = {
          ...(authorization ? { authorization } : {}),
          ...(typeof params.apiKey === 'string' ? { 'x-api-key': params.apiKey } : {}),
        };
        const principal = await access.authenticate({ headers }).catch(() => null);
        if (!principal) {
          ctx.extra.socket.close(4401, 'Unauthorized');
          return false;
        }
        principals.set(ctx.extra, principal);
        if (canWatch(access)) {
          // When the principal's access narrows (on any node), the socket is authenticated again:
          // credentials no longer valid close it for good (4401); changed roles close it so that
          // the client reconnects and every subscription is authorized afresh (4403, retried).
          const socket = ctx.extra.socket;
          const stop = access.onAccessChange((change) => {
            if (!mayAffect(change, principal)) return;
            access.authenticate({ headers }).then(
              (now) => {
                if (!now) socket.close(4401, 'Unauthorized');
                else if (!sameAccess(principal, now)) socket.close(4403, 'Access changed; reconnect');
              },
              () => socket.close(4401, 'Unauthorized'),
            );
          });
          socket.once('close', stop);
        }
        return true;
      },
      context: (ctx, id) => {
        const params = (ctx.connectionParams ?? {}) as Record<string, unknown>;
        const tenant = typeof params.workspaceId === 'string' ? params.workspaceId : undefined;
        const principal = principals.get(ctx.extra) ?? null;
        const context = graphQLContext(access, principal, tenant, randomUUID(), ctx.extra.request.socket.remoteAddress ?? 'unknown');
        sharingOf.set(context, { access: accessKey(principal, tenant), direct: directSend(ctx.extra.socket, id) });
        return context;
      },
      // Subscribers with the same document and access resolve each event once between them.
      subscribe: (args) => {
        const sharing = sharingOf.get(args.contextValue as object);
        return shared.subscribe(args, sharing?.access ?? randomUUID(), sharing?.direct);
      },
      // Errors carry our codes as over HTTP.
      onNext: (ctx, _id, _payload, _args, result) => {
        closedIfBehind(ctx.extra.socket);
        if (result.errors) return { ...result, errors: result.errors.map((error) => presentError(error, randomUUID())) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => presentError(error, randomUUID())),
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
