import type { Readable } from 'node:stream';
import t from 'tap';
import type { PlatformEvent } from '../plugin-api/services.ts';
import { eventStreamResponse } from './event-stream-response.ts';

/** A bus in memory: what `EventsService.subscribe` does, filters included. */
function bus() {
  const subscribers = new Set<{ handler: (e: PlatformEvent) => void; filter: { tenantId?: string; topics?: ReadonlySet<string> } }>();
  let id = 0;
  return {
    subscribers,
    subscribe(handler: (e: PlatformEvent) => void, filter: { tenantId?: string; topics?: ReadonlySet<string> } = {}) {
      const s = { handler, filter };
      subscribers.add(s);
      return () => subscribers.delete(s);
    },
    publish(topic: string, tenantId: string, payload: unknown) {
      const event = { id: String(++id), topic, tenantId, payload, createdAt: '2026-03-10T12:00:00.000Z' };
      for (const s of subscribers)
        if ((!s.filter.tenantId || s.filter.tenantId === tenantId) && (!s.filter.topics || s.filter.topics.has(topic))) s.handler(event);
      return event;
    },
  };
}

const read = (body: Readable) => {
  let text = '';
  body.on('data', (chunk) => {
    text += chunk;
  });
  return () => text;
};
const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test('prelude first, then held and live events of the filter, once each', async (t) => {
  const b = bus();
  const abort = new AbortController();
  let release = () => {};
  let closed = 0;
  const response = eventStreamResponse({
    events: b,
    filter: { tenantId: 'acme', topics: new Set(['a']) },
    signal: abort.signal,
    format: (e) => ({ id: e.id, event: e.topic, data: e.payload }),
    prelude: async (send) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      send({ event: 'snapshot', data: { n: 0 } });
      return ['1'];
    },
    onClose: () => closed++,
  });
  t.equal(response.status, 200);
  t.match(response.headers?.['content-type'], /^text\/event-stream/);
  const text = read(response.body as Readable);
  b.publish('a', 'acme', { n: 1 }); // during the prelude, which says it sent it
  b.publish('a', 'acme', { n: 2 }); // during the prelude: held
  b.publish('a', 'globex', { n: 3 }); // another workspace
  b.publish('b', 'acme', { n: 4 }); // another topic
  await tick();
  t.equal(text(), 'retry: 3000\n\n', 'nothing live before the prelude');
  release();
  await tick();
  b.publish('a', 'acme', { n: 5 });
  await tick();
  t.equal(text(), 'retry: 3000\n\nevent: snapshot\ndata: {"n":0}\n\nid: 2\nevent: a\ndata: {"n":2}\n\nid: 5\nevent: a\ndata: {"n":5}\n\n');
  abort.abort();
  abort.abort();
  await tick();
  t.equal(b.subscribers.size, 0, 'unsubscribed');
  t.equal(closed, 1, 'closed once');
});

t.test('a client that stops reading is cut off; a failed prelude ends the stream', async (t) => {
  const b = bus();
  let closed = 0;
  eventStreamResponse({
    events: b,
    filter: {},
    signal: new AbortController().signal,
    format: (e) => ({ event: e.topic, data: e.payload }),
    maxBufferedBytes: 1000,
    onClose: () => closed++,
  });
  // Unread, the stream holds its readable buffer (16 KiB) and then this bound.
  for (let i = 0; i < 1000 && b.subscribers.size > 0; i++) b.publish('a', 'acme', { filler: 'x'.repeat(100) });
  t.equal(b.subscribers.size, 0, 'unsubscribed once the buffer passed its bound');
  t.equal(closed, 1);

  const failing = eventStreamResponse({
    events: b,
    filter: {},
    signal: new AbortController().signal,
    format: (e) => ({ event: e.topic, data: e.payload }),
    prelude: async () => {
      throw new Error('snapshot failed');
    },
  });
  const ended = new Promise((resolve) => (failing.body as Readable).on('end', resolve).resume());
  await ended;
  t.equal(b.subscribers.size, 0, 'no subscriber left behind');
});
