import { randomBytes } from 'node:crypto';
import t from 'tap';
import type { Kernel } from '../kernel/kernel.ts';
import { call } from '../plugin-api/testing.ts';
import { type Actor, startWorld } from '../testing/identity-fixtures.ts';

const env = { ITOPS_MASTER_KEY: randomBytes(32).toString('base64') };

/** The workspace's secrets.* events about one channel's secret, oldest first, as the events API shows them. */
async function secretEvents(kernel: Kernel, viewer: Actor, channelId: string) {
  const listed = await call(kernel, 'GET', '/api/v1/events/outbox?limit=1000&sortOrder=asc', { headers: viewer.headers });
  if (listed.status !== 200) throw new Error(`events: ${listed.status} ${listed.text}`);
  return (listed.json.data as { topic: string; payload: Record<string, unknown> }[])
    .filter((e) => e.topic.startsWith('secrets.') && e.payload.key === `channel-secret.${channelId}`)
    .map((e) => ({ topic: e.topic, ...e.payload }));
}

t.test('a channel’s secret settings: every change is a published write, every mask or merge a published read', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { env });
  const actor = `user:${acmeAdmin.id}`;
  const created = await call(kernel, 'POST', '/api/v1/channels', {
    headers: acmeAdmin.headers,
    body: { name: 'ops-slack', type: 'slack', url: 'https://hooks.example.org/services/T1/B1/first-token' },
  });
  t.equal(created.status, 201, created.text);
  const id = created.json.id as string;
  const key = `channel-secret.${id}`;
  t.same(await secretEvents(kernel, acmeAdmin, id), [{ topic: 'secrets.written', scope: 'workspace', key, version: 1, actor }], 'creating writes');

  const listed = await call(kernel, 'GET', '/api/v1/channels', { headers: acmeAdmin.headers });
  t.equal(listed.status, 200);
  t.notOk(listed.text.includes('first-token'), 'the list shows a mask');
  t.same((await secretEvents(kernel, acmeAdmin, id)).slice(1), [{ topic: 'secrets.read', scope: 'workspace', key, version: 1, actor }], 'the mask is a read');

  const renamed = await call(kernel, 'PUT', `/api/v1/channels/${id}`, { headers: acmeAdmin.headers, body: { name: 'ops-slack-2' } });
  t.equal(renamed.status, 200, renamed.text);
  t.same(
    (await secretEvents(kernel, acmeAdmin, id)).slice(2),
    [{ topic: 'secrets.read', scope: 'workspace', key, version: 1, actor }],
    'a change that keeps the secret reads it to merge, and writes nothing',
  );

  const moved = await call(kernel, 'PUT', `/api/v1/channels/${id}`, {
    headers: acmeAdmin.headers,
    body: { url: 'https://hooks.example.org/services/T1/B1/second-token' },
  });
  t.equal(moved.status, 200, moved.text);
  t.same(
    (await secretEvents(kernel, acmeAdmin, id)).slice(3),
    [
      { topic: 'secrets.read', scope: 'workspace', key, version: 1, actor },
      { topic: 'secrets.written', scope: 'workspace', key, version: 2, actor },
    ],
    'a new URL reads, then writes version 2',
  );

  const deleted = await call(kernel, 'DELETE', `/api/v1/channels/${id}`, { headers: acmeAdmin.headers });
  t.equal(deleted.status, 204);
  const events = await secretEvents(kernel, acmeAdmin, id);
  t.same(events.slice(5), [{ topic: 'secrets.written', scope: 'workspace', key, version: 2, actor, deleted: true }], 'deleting the channel deletes its secret');
  t.notOk(JSON.stringify(events).includes('token'), 'no event carries a value');
});
