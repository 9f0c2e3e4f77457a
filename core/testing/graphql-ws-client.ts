import { type Client, createClient } from 'graphql-ws';

/**
 * A graphql-ws client of the kernel at `baseUrl` (its `/graphql/ws`), signed in with `token`, that
 * never reconnects (a test should see a refused or dropped socket) and is disposed at teardown.
 */
export function subscriptionClient(t: { teardown(fn: () => unknown): void }, baseUrl: string, token: string): Client {
  const client = createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql/ws`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  t.teardown(() => client.dispose());
  return client;
}
