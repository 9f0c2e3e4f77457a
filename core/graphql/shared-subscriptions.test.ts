import { type ExecutionResult, GraphQLObjectType, GraphQLSchema, GraphQLString, parse } from 'graphql';
import t from 'tap';
import { SharedSubscriptions } from './shared-subscriptions.ts';

/** A schema whose one subscription counts how often it is set up and how often an event is resolved. */
function world() {
  const listeners = new Set<(value: string) => void>();
  const counts = { subscribed: 0, resolved: 0, ended: 0 };
  const tick = {
    type: GraphQLString,
    args: { prefix: { type: GraphQLString } },
    subscribe: (_root: unknown, args: { prefix?: string }, context: { forbidden?: boolean }) => {
      if (context.forbidden) throw new Error('forbidden');
      counts.subscribed++;
      const queue: string[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      const listener = (value: string) => {
        queue.push(`${args.prefix ?? ''}${value}`);
        wake?.();
      };
      listeners.add(listener);
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        async next(): Promise<IteratorResult<string>> {
          while (!done) {
            const value = queue.shift();
            if (value !== undefined) return { value, done: false };
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
          }
          return { value: undefined, done: true };
        },
        async return() {
          done = true;
          counts.ended++;
          listeners.delete(listener);
          wake?.();
          return { value: undefined, done: true as const };
        },
      };
    },
    resolve: (value: string) => {
      counts.resolved++;
      return value;
    },
  };
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({ name: 'Subscription', fields: { tick } }),
  });
  const emit = (value: string) => {
    for (const listener of listeners) listener(value);
  };
  return { schema, counts, emit };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function take(stream: unknown, n: number): Promise<unknown[]> {
  const iterator = (stream as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]();
  const out: unknown[] = [];
  while (out.length < n) {
    const step = await iterator.next();
    if (step.done) break;
    out.push(step.value.data?.tick);
  }
  return out;
}

t.test('subscribers with the same document and access share one execution and all get every event', async (t) => {
  const { schema, counts, emit } = world();
  const shared = new SharedSubscriptions();
  const document = parse('subscription { tick(prefix: "a-") }');
  const streams = await Promise.all(Array.from({ length: 3 }, () => shared.subscribe({ schema, document, contextValue: {} }, 'ops@acme')));
  const received = Promise.all(streams.map((s) => take(s, 2)));
  await settle();
  emit('1');
  emit('2');
  t.same(
    await received,
    [
      ['a-1', 'a-2'],
      ['a-1', 'a-2'],
      ['a-1', 'a-2'],
    ],
    'each subscriber sees both events',
  );
  t.equal(counts.subscribed, 1, 'set up once');
  t.equal(counts.resolved, 2, 'each event resolved once for all three');
});

t.test('other access, variables or documents are not shared', async (t) => {
  const { schema, counts, emit } = world();
  const shared = new SharedSubscriptions();
  const a = await shared.subscribe({ schema, document: parse('subscription { tick(prefix: "a-") }'), contextValue: {} }, 'ops@acme');
  const b = await shared.subscribe({ schema, document: parse('subscription { tick(prefix: "a-") }'), contextValue: {} }, 'viewer@acme');
  const c = await shared.subscribe(
    { schema, document: parse('subscription Named($p: String) { tick(prefix: $p) }'), variableValues: { p: 'c-' }, contextValue: {} },
    'ops@acme',
  );
  const received = Promise.all([take(a, 1), take(b, 1), take(c, 1)]);
  await settle();
  emit('1');
  t.same(await received, [['a-1'], ['a-1'], ['c-1']]);
  t.equal(counts.subscribed, 3);
});

t.test('a refused subscription is refused for everyone, and is not kept', async (t) => {
  const { schema, counts } = world();
  const shared = new SharedSubscriptions();
  const document = parse('subscription { tick }');
  const refused = (await shared.subscribe({ schema, document, contextValue: { forbidden: true } }, 'nobody')) as ExecutionResult;
  t.match(refused.errors?.[0]?.message, /forbidden/, 'the errors come back as a result, as graphql-js gives them');
  const allowed = await shared.subscribe({ schema, document, contextValue: {} }, 'nobody');
  t.ok(Symbol.asyncIterator in (allowed as object), 'a later subscription tries afresh');
  t.equal(counts.subscribed, 1);
  await (allowed as AsyncIterableIterator<ExecutionResult>).return?.();
});

t.test('one subscriber leaving keeps the others; the last one leaving ends the execution', async (t) => {
  const { schema, counts, emit } = world();
  const shared = new SharedSubscriptions();
  const document = parse('subscription { tick }');
  const first = (await shared.subscribe({ schema, document, contextValue: {} }, 'k')) as AsyncIterableIterator<ExecutionResult>;
  const second = (await shared.subscribe({ schema, document, contextValue: {} }, 'k')) as AsyncIterableIterator<ExecutionResult>;
  await first.return?.();
  const received = take(second, 1);
  await settle();
  emit('x');
  t.same(await received, ['x'], 'the remaining subscriber still receives');
  t.equal(counts.ended, 0, 'the execution runs on');
  await second.return?.();
  await settle();
  t.equal(counts.ended, 1, 'ended with its last subscriber');
  const again = (await shared.subscribe({ schema, document, contextValue: {} }, 'k')) as AsyncIterableIterator<ExecutionResult>;
  t.equal(counts.subscribed, 2, 'a new subscriber after that starts a new execution');
  await again.return?.();
});

t.test('a subscriber that falls behind is ended alone', async (t) => {
  const { schema, emit } = world();
  const shared = new SharedSubscriptions(2);
  const document = parse('subscription { tick }');
  const slow = (await shared.subscribe({ schema, document, contextValue: {} }, 'k')) as AsyncIterableIterator<ExecutionResult>;
  const fast = await shared.subscribe({ schema, document, contextValue: {} }, 'k');
  const fastReceived = take(fast, 4);
  await settle();
  for (const value of ['1', '2', '3', '4']) emit(value);
  t.same(await fastReceived, ['1', '2', '3', '4'], 'the subscriber keeping up gets everything');
  const seen: unknown[] = [];
  const error = await (async () => {
    try {
      for (;;) {
        const step = await slow.next();
        if (step.done) return undefined;
        seen.push(step.value.data?.tick);
      }
    } catch (e) {
      return e as Error;
    }
  })();
  t.same(seen, ['1', '2'], 'the slow one gets what it had queued');
  t.match(error?.message, /fell more than 2 events behind/, 'then the reason it was ended');
});

t.test('a waiting subscriber with a direct sender gets each result serialized once; a busy one keeps its order through the queue', async (t) => {
  const { schema, emit } = world();
  const shared = new SharedSubscriptions();
  const document = parse('subscription { tick }');
  const sent: string[][] = [[], []];
  const direct = (i: number) => (json: string) => {
    sent[i].push(json);
    return true;
  };
  const waiting = await shared.subscribe({ schema, document, contextValue: {} }, 'k', direct(0));
  const busy = (await shared.subscribe({ schema, document, contextValue: {} }, 'k', direct(1))) as AsyncIterableIterator<ExecutionResult>;
  const plain = await shared.subscribe({ schema, document, contextValue: {} }, 'k');
  // The first waits in next() as graphql-ws does between results; the second is not reading.
  const firstRead = (waiting as AsyncIterableIterator<ExecutionResult>).next();
  const plainReceived = take(plain, 3);
  await settle();
  emit('1');
  emit('2');
  emit('3');
  t.same(await plainReceived, ['1', '2', '3'], 'a subscriber without a direct sender reads every result');
  t.same(
    sent[0].map((json) => JSON.parse(json)),
    [{ data: { tick: '1' } }, { data: { tick: '2' } }, { data: { tick: '3' } }],
    'the waiting one had each result sent directly, as JSON',
  );
  t.same(sent[1], [], 'the busy one had none sent past its reading');
  t.same(await take(busy, 3), ['1', '2', '3'], 'it reads them from its queue, in order');
  const busyWaits = busy.next();
  emit('4');
  await settle();
  t.same(
    sent[1].map((json) => JSON.parse(json)),
    [{ data: { tick: '4' } }],
    'waiting again with nothing queued, it gets the next one directly',
  );
  await (waiting as AsyncIterableIterator<ExecutionResult>).return?.();
  t.same(await firstRead, { value: undefined, done: true }, 'and the directly served one never had a result to read');
  await busy.return?.();
  t.same(await busyWaits, { value: undefined, done: true });
  await (plain as AsyncIterableIterator<ExecutionResult>).return?.();
});
