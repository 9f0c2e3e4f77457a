import t from 'tap';
import { readEventStream, type ServerSentEvent } from '../../sdk/sse.ts';
import { call } from '../plugin-api/testing.ts';
import { eventually } from '../testing/eventually.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';

/** The stream's events until `count` of them (or, with `until`, the first that matches), or 10 s. */
async function take(stream: AsyncGenerator<ServerSentEvent>, count: number, until?: (event: ServerSentEvent) => boolean): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  const timer = setTimeout(() => stream.return(undefined), 10_000);
  for await (const event of stream) {
    events.push(event);
    if (until ? until(event) : events.length === count) break;
  }
  clearTimeout(timer);
  return events;
}

t.test('the event stream delivers live events, resumes after Last-Event-ID and stays in its workspace', async (t) => {
  const { kernel, acmeAdmin, globexAdmin } = await startWorld(t, { plugins: [examplePlugin] });
  // A score's event is published by its job, and two jobs may run side by side: each score waits
  // for its row (written in the event's transaction), so the events commit in the order sent.
  const score = async (label: string, headers: Record<string, string>) => {
    await call(kernel, 'POST', '/api/v1/example/scores', { body: { label, values: [1] }, headers });
    const recorded = await eventually(async () =>
      (await call(kernel, 'GET', '/api/v1/example/scores', { headers })).json.data.some((s: { label: string }) => s.label === label) ? true : undefined,
    );
    if (!recorded) throw new Error(`the score ${label} was never recorded`);
  };
  const controller = new AbortController();
  t.teardown(() => controller.abort());
  const acmeStream = readEventStream({
    url: `${kernel.url}/api/v1/events/stream?topics=example.scored`,
    headers: acmeAdmin.headers,
    signal: controller.signal,
    maxReconnects: 0,
  });
  const globexStream = readEventStream({
    url: `${kernel.url}/api/v1/events/stream`,
    headers: globexAdmin.headers,
    signal: controller.signal,
    maxReconnects: 0,
  });
  const acmeLive = take(acmeStream, 2);
  // Every topic: on a busy machine the admin's sign-in event (security.login_succeeded) can still be
  // on its way when the stream opens, so it is read up to the first score.
  const globexLive = take(globexStream, 1, (event) => event.event === 'example.scored');
  await new Promise((resolve) => setTimeout(resolve, 300));
  await score('first', acmeAdmin.headers);
  await score('theirs', globexAdmin.headers);
  await score('second', acmeAdmin.headers);
  const live = await acmeLive;
  t.same(
    live.map((e) => [e.event, JSON.parse(e.data).payload.label]),
    [
      ['example.scored', 'first'],
      ['example.scored', 'second'],
    ],
    "acme's stream has acme's events in order, none of globex's",
  );
  const globexEvents = await globexLive;
  t.same(
    globexEvents.filter((e) => e.event === 'example.scored').map((e) => JSON.parse(e.data).payload.label),
    ['theirs'],
  );
  t.notOk(
    globexEvents.some((e) => e.data.includes('acme')),
    `globex's stream has nothing of acme's (${globexEvents.map((e) => e.event).join(', ')})`,
  );

  await score('while away', acmeAdmin.headers);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const resumed = await take(
    readEventStream({
      url: `${kernel.url}/api/v1/events/stream`,
      headers: acmeAdmin.headers,
      lastEventId: live[0].id,
      signal: controller.signal,
      maxReconnects: 0,
    }),
    2,
  );
  t.same(
    resumed.map((e) => JSON.parse(e.data).payload.label),
    ['second', 'while away'],
    'a client resuming after the first event gets what it missed, once',
  );

  // Logins are security events in the outbox too (for the audit trail): the test reads its own topic.
  const outbox = await call(kernel, 'GET', '/api/v1/events/outbox?limit=2&topic=example.scored', { headers: acmeAdmin.headers });
  t.equal(outbox.status, 200);
  t.same(outbox.json.page, { limit: 2, offset: 0, returned: 2, total: 3 });
  t.same(
    outbox.json.data.map((e: any) => e.payload.label),
    ['while away', 'second'],
    'newest first',
  );
  t.same(outbox.json.sort, { by: 'id', order: 'desc' });
  const theirs = await call(kernel, 'GET', '/api/v1/events/outbox?topic=example.scored', { headers: globexAdmin.headers });
  t.same(
    theirs.json.data.map((e: any) => e.payload.label),
    ['theirs'],
    "globex's outbox lists its own event only",
  );
});

t.test('event endpoints refuse anonymous, unauthorized and foreign callers', async (t) => {
  const { kernel, acmeAdmin, globexAdmin } = await startWorld(t, { plugins: [examplePlugin] });
  t.equal((await call(kernel, 'GET', '/api/v1/events/outbox')).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/events/stream')).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/events/outbox', { headers: { ...globexAdmin.headers, 'x-workspace-id': 'acme' } })).status, 404);
  t.equal((await call(kernel, 'GET', '/api/v1/events/stream?topics=Bad Topic', { headers: acmeAdmin.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/events/outbox?sortBy=payload', { headers: acmeAdmin.headers })).status, 400);
  const key = (await call(kernel, 'POST', '/api/v1/apikeys', { headers: acmeAdmin.headers, body: { name: 'agent', scope: 'ingestion' } })).json.api_key;
  t.equal((await call(kernel, 'GET', '/api/v1/events/outbox', { headers: { 'x-api-key': key } })).status, 403, 'an ingestion key may not read events');
});
