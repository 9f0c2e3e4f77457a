import { createItopsClient, ItopsApiError, type ItopsClient, ok, type SessionTokens } from '@itops/sdk';

const sessionKey = 'itops.session';
const workspaceKey = 'itops.workspace';
export const sessionEndedEvent = 'itops:session-ended';

function storedSession(): SessionTokens | undefined {
  try {
    const raw = localStorage.getItem(sessionKey);
    return raw ? (JSON.parse(raw) as SessionTokens) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The one SDK client of the console, signed in as the user and in the chosen workspace. The session
 * is kept in localStorage so a reload or a second tab stays signed in; the strict CSP (no inline or
 * foreign script) is what keeps other code from reading it.
 */
export const api: ItopsClient = createItopsClient({
  baseUrl: location.origin,
  session: storedSession(),
  workspaceId: localStorage.getItem(workspaceKey) ?? undefined,
  onSession: (session) => {
    if (session) localStorage.setItem(sessionKey, JSON.stringify(session));
    else {
      localStorage.removeItem(sessionKey);
      // A refused refresh (expired, revoked, reused): the console goes back to the sign-in page.
      dispatchEvent(new Event(sessionEndedEvent));
    }
  },
});

export function chooseWorkspace(id: string | undefined): void {
  api.auth.workspaceId = id;
  if (id) localStorage.setItem(workspaceKey, id);
  else localStorage.removeItem(workspaceKey);
}

export function forgetSession(): void {
  api.auth.session = undefined;
  localStorage.removeItem(sessionKey);
}

/** What a person should read for a failed call: the server's message, with its correlation id for support. */
export function describeError(error: unknown): string {
  if (error instanceof ItopsApiError) return `${error.message}${error.correlationId ? ` (reference ${error.correlationId})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

/** Calls a path the console learns at run time (a plugin page's list), outside the typed contract. */
export async function getUntyped(path: string, query: Record<string, string | number> = {}): Promise<unknown> {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
  const response = await api.send(new Request(url, { headers: { accept: 'application/json' } }));
  if (!response.ok) throw await ItopsApiError.fromResponse(response);
  return response.json();
}

/**
 * A change to a path the console learns at run time (a plugin's form, a row's action or delete):
 * each call is its own idempotency key. Answers the response's JSON, if it has any.
 */
export async function sendUntyped(method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json', 'idempotency-key': crypto.randomUUID() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await api.send(
    new Request(new URL(path, location.origin), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }),
  );
  if (!response.ok) throw await ItopsApiError.fromResponse(response);
  return response.json().catch(() => undefined);
}

// Refresh tokens rotate and a reused one ends the session: a tab takes over the tokens another tab
// refreshed instead of refreshing with the spent one.
addEventListener('storage', (event) => {
  if (event.key !== sessionKey) return;
  api.auth.session = event.newValue ? (JSON.parse(event.newValue) as SessionTokens) : undefined;
});

/** The endpoints' rows of `GET /api/v1/dashboard/sparklines` (the default kind; containers have `kind=containers`). */
export async function endpointSparklines(limit: number) {
  const { data } = await ok(api.GET('/api/v1/dashboard/sparklines', { params: { query: { limit } } }));
  return data.flatMap((row) => ('endpointId' in row ? [row] : []));
}
