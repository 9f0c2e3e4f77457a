import t from 'tap';
import { definePlugin, type PluginManifest, tokens } from '../plugin-api/index.ts';
import { call, startTestKernel } from '../plugin-api/testing.ts';
import { routePlugin } from '../testing/inline-plugins.ts';

/** A plugin whose route tries `attempt` and answers what happened. */
function trying(id: string, attempt: (ctx: Parameters<PluginManifest['init']>[0]) => Promise<unknown>, extra: Partial<PluginManifest> = {}): PluginManifest {
  return routePlugin(id, {
    requires: extra.requires,
    init: (ctx) => {
      ctx.handle(`${id}Get`, async () => {
        try {
          return { ok: await attempt(ctx) };
        } catch (error) {
          return { refused: (error as Error).message };
        }
      });
    },
  });
}

const owner = definePlugin({
  id: 'owner',
  version: '1.0.0',
  host: '*',
  events: [{ topic: 'owner.private' }, { topic: 'owner.shared', exported: true }],
  jobs: [{ name: 'private_work' }, { name: 'shared_work', exported: true }],
  init(ctx) {
    ctx.job('private_work', () => {});
    ctx.job('shared_work', () => {});
  },
});

const publish = (topic: string) => (ctx: Parameters<PluginManifest['init']>[0]) =>
  ctx.get(tokens.database).platform.transaction((tx) => ctx.get(tokens.events).publish(tx, { topic, payload: {} }));
const send = (queue: string) => (ctx: Parameters<PluginManifest['init']>[0]) => ctx.get(tokens.jobs).send(queue, {});

t.test('a plugin publishes its own topics and those a plugin it requires exports, nothing else', async (t) => {
  const kernel = await startTestKernel(t, {
    plugins: [
      owner,
      { ...trying('exported', publish('owner.shared')), requires: ['owner'] },
      { ...trying('private', publish('owner.private')), requires: ['owner'] },
      trying('stranger', publish('owner.shared')),
    ],
  });
  t.match((await call(kernel, 'GET', '/api/v1/exported')).json, { ok: String });
  t.match((await call(kernel, 'GET', '/api/v1/private')).json, { refused: /plugin private publishes "owner.private", which it does not declare/ });
  t.match((await call(kernel, 'GET', '/api/v1/stranger')).json, { refused: /plugin stranger publishes "owner.shared"/ }, 'exports reach only dependents');
  const [{ count }] = await kernel.database.query<{ count: string }>("SELECT count(*) AS count FROM event_outbox WHERE topic LIKE 'owner.%'");
  t.equal(Number(count), 1, 'only the allowed publish was written');
});

t.test('a plugin sends to its own queues and those a plugin it requires exports', async (t) => {
  const kernel = await startTestKernel(t, {
    plugins: [
      owner,
      { ...trying('exported', send('owner.shared_work')), requires: ['owner'] },
      { ...trying('private', send('owner.private_work')), requires: ['owner'] },
    ],
  });
  t.match((await call(kernel, 'GET', '/api/v1/exported')).json, { ok: String });
  t.match((await call(kernel, 'GET', '/api/v1/private')).json, { refused: /plugin private sends to "owner.private_work", which is not its own queue/ });
});

t.test('a plugin cannot provide a core service, and tokens with the same description stay apart', async (t) => {
  const { createServiceToken } = await import('../plugin-api/index.ts');
  const lookalike = createServiceToken<unknown>('database');
  const shadow = trying('shadow', async (ctx) => {
    ctx.provide(tokens.database, {} as never);
    return 'provided';
  });
  const kernel = await startTestKernel(t, { plugins: [shadow, trying('guess', async (ctx) => ctx.get(lookalike))] });
  t.match((await call(kernel, 'GET', '/api/v1/shadow')).json, { refused: /plugin shadow provides "database", which is a core service/ });
  t.match((await call(kernel, 'GET', '/api/v1/guess')).json, { refused: /no service is registered for token "database"/ });
});

t.test('two plugins claiming one topic namespace: the second stays off, naming the owner', async (t) => {
  const claim = (id: string) => ({ ...routePlugin(id), topicNamespaces: ['heartbeat'], events: [{ topic: `heartbeat.${id}` }] });
  const kernel = await startTestKernel(t, { plugins: [claim('first'), claim('second')] });
  const status = kernel.plugins.statuses().find((p) => p.id === 'second');
  t.equal(status?.state, 'failed');
  t.match(status?.error, /topic namespace "heartbeat" is already owned by plugin first/);
  t.equal((await call(kernel, 'GET', '/api/v1/first')).status, 200);
});
