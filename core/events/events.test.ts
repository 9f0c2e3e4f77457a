import t from 'tap';
import { call, startTestKernel, testAccess } from '../plugin-api/testing.ts';
import type { PlatformEvent } from '../plugin-api/index.ts';
import { tokens } from '../plugin-api/index.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';
import { definePlugin } from '../plugin-api/index.ts';

const access = testAccess({ writer: ['example:write', 'example:read'] });

function collector() {
  const events: PlatformEvent[] = [];
  const waiters: (() => void)[] = [];
  return {
    events,
    push(event: PlatformEvent) {
      events.push(event);
      for (const wake of waiters.splice(0)) wake();
    },
    async until(count: number, timeoutMs = 10000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count && Date.now() < deadline) await new Promise<void>((resolve) => waiters.push(resolve) && setTimeout(resolve, 100));
      return events;
    },
  };
}

/** A plugin that publishes on demand, inside a transaction that may roll back. */
const publisher = definePlugin({
  id: 'publisher',
  version: '1.0.0',
  host: '*',
  events: [{ topic: 'publisher.ticked', payloadSchema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } }],
  init(ctx) {
    const db = ctx.get(tokens.database);
    const events = ctx.get(tokens.events);
    ctx.provide(publishToken, async (n: number, tenantId: string, rollback = false) => {
      await db
        .forTenant(tenantId)
        .transaction(async (tx) => {
          await events.publish(tx, { topic: 'publisher.ticked', tenantId, payload: { n } });
          if (rollback) throw new Error('roll back');
        })
        .catch((error: Error) => {
          if (!rollback) throw error;
        });
    });
  },
});
import { createServiceToken } from '../plugin-api/index.ts';
const publishToken = createServiceToken<(n: number, tenantId: string, rollback?: boolean) => Promise<void>>('test.publish');

t.test('an event committed on one node reaches subscribers on another, filtered by tenant', async (t) => {
  const first = await startTestKernel(t, { plugins: [examplePlugin], access });
  const second = await startTestKernel(t, { plugins: [examplePlugin], access, databaseUrl: first.database.url, env: { ITOPS_JOBS_ENABLED: 'false' } });
  const acme = collector();
  const globex = collector();
  second.events.subscribe((e) => acme.push(e), { tenantId: 'acme' });
  second.events.subscribe((e) => globex.push(e), { tenantId: 'globex' });
  await call(first, 'POST', '/api/v1/example/scores', { body: { label: 'hello', values: [1, 2] }, headers: { authorization: 'Test writer acme' } });
  const [event] = await acme.until(1);
  t.match(event, { topic: 'example.scored', tenantId: 'acme', payload: { label: 'hello', score: 5 }, id: String, createdAt: String });
  t.same(globex.events, [], "globex's subscriber never sees acme's event");
});

t.test('a rolled-back change publishes nothing; commits arrive in order', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [publisher] });
  const seen = collector();
  kernel.events.subscribe((e) => seen.push(e), { topics: new Set(['publisher.ticked']) });
  const publish = (kernel.plugins as any).provided.lookup(publishToken).value as (n: number, tenantId: string, rollback?: boolean) => Promise<void>;
  await publish(0, 'acme', true);
  for (let n = 1; n <= 40; n++) await publish(n, 'acme');
  const events = await seen.until(40);
  t.same(
    events.map((e) => (e.payload as { n: number }).n),
    Array.from({ length: 40 }, (_, i) => i + 1),
    'in commit order, without the rolled-back one',
  );
  const [{ count }] = await kernel.database.query<{ count: string }>("SELECT count(*) FROM event_outbox WHERE topic = 'publisher.ticked'");
  t.equal(Number(count), 40, 'no outbox row for the rolled-back change');
});

t.test('undeclared topics and payloads that break their schema are refused', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [publisher] });
  const { EventOutbox } = await import('./event-outbox.ts');
  const { AjvSchemaValidator } = await import('../validation/schema-validator.ts');
  const outbox = new EventOutbox((topic) => kernel.plugins.eventTopic(topic), new AjvSchemaValidator());
  const platform = kernel.database.platform;
  await t.rejects(
    platform.transaction((tx) => outbox.publish(tx, { topic: 'nobody.declared', payload: {} })),
    { message: /not declared/ },
  );
  await t.rejects(
    platform.transaction((tx) => outbox.publish(tx, { topic: 'publisher.ticked', payload: { n: 'one' } })),
    { code: 'validation_failed' },
  );
});

t.test('publishMany writes a batch in order, notifies each event and fans out webhooks, or nothing on rollback', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [publisher] });
  await kernel.database.query("INSERT INTO tenant (tenant_id, name) VALUES ('acme', 'Acme') ON CONFLICT DO NOTHING");
  await kernel.database.query(
    "INSERT INTO webhook_subscription (id, tenant_id, url, topics, enabled) VALUES (gen_random_uuid(), 'acme', 'https://example.com/hook', '{publisher.ticked}', true)",
  );
  const seen = collector();
  kernel.events.subscribe((e) => seen.push(e), { topics: new Set(['publisher.ticked']) });
  const { EventOutbox } = await import('./event-outbox.ts');
  const { AjvSchemaValidator } = await import('../validation/schema-validator.ts');
  const outbox = new EventOutbox((topic) => kernel.plugins.eventTopic(topic), new AjvSchemaValidator());
  outbox.onPublishStatement((await import('../webhooks/webhook-delivery.ts')).fanOutDeliveriesSql);
  const batch = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({ topic: 'publisher.ticked', tenantId: 'acme', payload: { n: from + i } }));
  const acme = kernel.database.forTenant('acme');
  await acme
    .transaction(async (tx) => {
      await outbox.publishMany(tx, batch(1000, 5));
      throw new Error('roll back');
    })
    .catch(() => undefined);
  const ids = await acme.transaction((tx) => outbox.publishMany(tx, batch(1, 300)));
  t.equal(ids.length, 300);
  const events = await seen.until(300);
  t.same(
    events.map((e) => (e.payload as { n: number }).n),
    Array.from({ length: 300 }, (_, i) => i + 1),
    'every event arrives, in the order given',
  );
  const [{ count }] = await kernel.database.query<{ count: string }>('SELECT count(*) FROM webhook_delivery');
  t.equal(Number(count), 300, 'one webhook delivery per event for the subscribed hook');
  const [{ rolled }] = await kernel.database.query<{ rolled: string }>("SELECT count(*) AS rolled FROM event_outbox WHERE (payload->>'n')::int >= 1000");
  t.equal(Number(rolled), 0, 'a rolled-back batch left nothing');
  await t.rejects(
    kernel.database.platform.transaction((tx) => outbox.publishMany(tx, [{ topic: 'publisher.ticked', payload: { n: 'x' } }])),
    { code: 'validation_failed' },
  );
});
