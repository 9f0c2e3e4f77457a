import { randomUUID } from 'node:crypto';
import t from 'tap';
import { startTestServer } from '../plugin-api/testing.ts';
import { pruneOutbox } from './outbox-retention.ts';

t.test('retention removes old delivered deliveries and the old events nothing refers to, and keeps the rest', async (t) => {
  const server = await startTestServer(t, { plugins: [] });
  await server.loginAs('msp_admin'); // creates the workspace acme
  const query = server.database.platform.query;
  const subscription = randomUUID();
  await query("INSERT INTO webhook_subscription (id, tenant_id, url) VALUES (?, 'acme', 'https://hooks.example.test/in')", [subscription]);
  const event = async (name: string, daysAgo: number) => {
    const [row] = await query<{ id: string }>(
      "INSERT INTO event_outbox (topic, tenant_id, payload, created_at) VALUES ('test.retention', 'acme', ?, now() - make_interval(days => ?)) RETURNING id",
      [JSON.stringify({ name }), daysAgo],
    );
    return row.id;
  };
  const delivery = (eventId: string, status: string, daysAgo: number) =>
    query(
      "INSERT INTO webhook_delivery (id, subscription_id, tenant_id, event_id, topic, status, created_at) VALUES (?, ?, 'acme', ?, 'test.retention', ?, now() - make_interval(days => ?))",
      [randomUUID(), subscription, eventId, status, daysAgo],
    );
  const oldDelivered = await event('old, delivered', 40);
  await delivery(oldDelivered, 'delivered', 40);
  const oldFailed = await event('old, failed', 40);
  await delivery(oldFailed, 'failed', 40);
  const oldPending = await event('old, pending', 40);
  await delivery(oldPending, 'pending', 40);
  await event('old, never delivered', 40);
  const recent = await event('recent, delivered', 1);
  await delivery(recent, 'delivered', 1);

  t.same(await pruneOutbox(query, 30), { deliveries: 1, events: 2 });
  const events = await query<{ name: string }>("SELECT payload ->> 'name' AS name FROM event_outbox WHERE topic = 'test.retention' ORDER BY id");
  t.same(
    events.map((e) => e.name),
    ['old, failed', 'old, pending', 'recent, delivered'],
    'events a failed or pending delivery still needs stay, and so do recent ones',
  );
  const deliveries = await query<{ status: string }>('SELECT status FROM webhook_delivery WHERE subscription_id = ? ORDER BY status', [subscription]);
  t.same(
    deliveries.map((d) => d.status),
    ['delivered', 'failed', 'pending'],
    'the recent delivered one, and the failed and pending ones',
  );
  t.same(await pruneOutbox(query, 30), { deliveries: 0, events: 0 }, 'a second round finds nothing');
});
