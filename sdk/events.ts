import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import type { ItopsClient } from './client.ts';
import type { EventPayloads, EventTopic } from './generated/events.ts';
import { readEventStream } from './sse.ts';

export type { EventPayloads, EventTopic } from './generated/events.ts';

/** A platform event whose payload is typed by its topic. */
export interface PlatformEvent<K extends EventTopic = EventTopic> {
  /** Outbox id: increasing, usable to resume (`Last-Event-ID`). */
  id: string;
  topic: K;
  tenantId: string | null;
  payload: EventPayloads[K];
  createdAt: string;
}

/** The events of the topics `K`, as a union discriminated by `topic`: checking `event.topic` narrows `event.payload`. */
export type TopicEvent<K extends EventTopic = EventTopic> = { [T in K]: PlatformEvent<T> }[K];

export interface StreamEventsOptions<K extends EventTopic> {
  /** Topics to receive; all when left out. */
  topics?: readonly K[];
  /** Resume after this event id. */
  lastEventId?: string;
  /** Reconnects in a row without an event before giving up (default 5). */
  maxReconnects?: number;
  signal?: AbortSignal;
}

/**
 * The workspace's live events over Server-Sent Events (`GET /api/v1/events/stream`), with the
 * client's credentials and workspace, resuming after the last event on reconnect.
 */
export async function* streamEvents<K extends EventTopic = EventTopic>(
  client: ItopsClient,
  options: StreamEventsOptions<K> = {},
): AsyncGenerator<TopicEvent<K>, void, undefined> {
  const query = options.topics?.length ? `?topics=${encodeURIComponent(options.topics.join(','))}` : '';
  const events = readEventStream({
    url: `${client.auth.baseUrl}/api/v1/events/stream${query}`,
    fetch: (url, init) => client.send(new Request(url, init)),
    lastEventId: options.lastEventId,
    maxReconnects: options.maxReconnects,
    signal: options.signal,
  });
  for await (const event of events) yield JSON.parse(event.data) as TopicEvent<K>;
}

export interface SubscriptionClientOptions {
  /** Reconnect attempts of the socket (graphql-ws `retryAttempts`). Default 5. */
  retryAttempts?: number;
}

/**
 * A graphql-ws client of the server's `/graphql/ws`, signed in as the itops client is (a session's
 * JWT is refreshed before each connect) and in its workspace. Uses the platform's `WebSocket`
 * (browsers, Node 22+). Dispose it when done.
 */
export function createSubscriptionClient(client: ItopsClient, options: SubscriptionClientOptions = {}): WsClient {
  return createWsClient({
    url: `${client.auth.baseUrl.replace(/^http/, 'ws')}/graphql/ws`,
    webSocketImpl: globalThis.WebSocket,
    retryAttempts: options.retryAttempts ?? 5,
    connectionParams: async () => {
      const auth = client.auth;
      if (auth.session && auth.session.expiresAt - Date.now() < 30_000) await client.refresh();
      const bearer = auth.session?.token ?? auth.token;
      return {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : auth.apiKey ? { apiKey: auth.apiKey } : {}),
        ...(auth.workspaceId ? { workspaceId: auth.workspaceId } : {}),
      };
    },
  });
}

/** An error the server reported for a subscription (permission, validation), with its GraphQL errors. */
export class SubscriptionError extends Error {
  override readonly name = 'SubscriptionError';
  readonly errors: readonly { message: string; extensions?: Record<string, unknown> }[];

  constructor(errors: readonly { message: string; extensions?: Record<string, unknown> }[]) {
    super(errors.map((error) => error.message).join('; '));
    this.errors = errors;
  }
}

const eventsSubscription = 'subscription Events($topics: [String!]) { events(topics: $topics) { id topic tenantId payload createdAt } }';

/**
 * The workspace's events of `topics` over graphql-ws, typed per topic. Breaking out of the loop
 * ends the subscription.
 */
export async function* subscribeEvents<K extends EventTopic>(ws: WsClient, topics: readonly K[]): AsyncGenerator<TopicEvent<K>, void, undefined> {
  const results = ws.iterate<{ events: TopicEvent<K> }>({ query: eventsSubscription, variables: { topics: [...topics] } });
  for await (const result of results) {
    if (result.errors?.length) throw new SubscriptionError(result.errors as SubscriptionError['errors']);
    if (result.data) yield result.data.events;
  }
}
