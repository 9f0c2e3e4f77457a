import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { readEventStream, type ServerSentEvent } from '../../sdk/sse.ts';
import { createLogger } from '../logging/logger.ts';
import { call } from '../plugin-api/testing.ts';
import { eventually } from '../testing/eventually.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';
import { freePort } from '../testing/free-port.ts';
import { adminEmail, adminPassword, login, startWorld } from '../testing/identity-fixtures.ts';
import { type EmbeddedDatabase, ensureDatabase, startEmbeddedPostgres, withDatabase } from './embedded-postgres.ts';

t.test('a PostgreSQL restart is answered with 503 while it lasts and recovered without restarting', async (t) => {
  // A server of this test's own: stopping it must not touch any other test's database.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'itops-outage-'));
  if (os.userInfo().uid === 0) await import('node:fs/promises').then((fs) => fs.chmod(dir, 0o755));
  const port = await freePort();
  const logger = createLogger('silent');
  let server: EmbeddedDatabase = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port, logger });
  t.teardown(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await ensureDatabase(server.url, 'itops');
  const databaseUrl = withDatabase(server.url, 'itops');

  // A child test, so the kernel stops (its teardown) before the server does.
  await t.test('the kernel', async (t) => {
    const { kernel, acmeAdmin } = await startWorld(t, { plugins: [examplePlugin], databaseUrl });
    const headers = acmeAdmin.headers;
    t.equal((await call(kernel, 'GET', '/ready')).status, 200);
    t.equal((await call(kernel, 'GET', '/api/v1/example/scores', { headers })).status, 200);

    await server.stop();
    const rest = await call(kernel, 'GET', '/api/v1/example/scores', { headers });
    t.equal(rest.status, 503, 'REST: unavailable, not a server fault');
    t.equal(rest.json?.error?.code, 'unavailable');
    t.ok(Number(rest.headers.get('retry-after')) > 0, 'with Retry-After');
    const signIn = await call(kernel, 'POST', '/api/v1/auth/login', { body: { email: adminEmail, password: adminPassword } });
    t.equal(signIn.status, 503, 'login: unavailable');
    t.ok(Number(signIn.headers.get('retry-after')) > 0);
    const notReady = await call(kernel, 'GET', '/ready');
    t.equal(notReady.status, 503);
    t.match(notReady.json, { error: { code: 'unavailable', details: { database: 'unreachable' } } });
    t.ok(Number(notReady.headers.get('retry-after')) > 0, '/ready says when to look again');

    server = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port, logger });
    const ready = await eventually(async () => ((await call(kernel, 'GET', '/ready')).status === 200 ? true : undefined), 60_000, 500);
    t.ok(ready, '/ready recovers without a restart');
    const again = await login(kernel, adminEmail, adminPassword);
    t.ok(again.token, 'login works again');
    t.equal((await call(kernel, 'GET', '/api/v1/example/scores', { headers })).status, 200, 'REST works again');

    // Opened after the outage with no replay: an event can only come through the node's LISTEN.
    const controller = new AbortController();
    t.teardown(() => controller.abort());
    const stream = readEventStream({ url: `${kernel.url}/api/v1/events/stream?topics=example.scored`, headers, signal: controller.signal, maxReconnects: 0 });
    const first = (async () => {
      for await (const event of stream) return event as ServerSentEvent;
      return undefined;
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Scoring queues a job; the job publishes example.scored: both the queue and the bus are back.
    const scored = await call(kernel, 'POST', '/api/v1/example/scores', { headers, body: { label: 'after', values: [3] } });
    t.equal(scored.status, 202, scored.text);
    let timer: NodeJS.Timeout | undefined;
    const event = await Promise.race([first, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 60_000)))]);
    clearTimeout(timer);
    controller.abort();
    t.match(event && JSON.parse(event.data), { topic: 'example.scored', payload: { label: 'after' } }, 'the job ran and its event reached the stream');

    // A killed server closes every socket without a word, in the middle of whatever was running.
    const postmaster = Number((await readFile(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(postmaster, 'SIGKILL');
    const refused = await eventually(async () => {
      const answer = await call(kernel, 'GET', '/api/v1/example/scores', { headers });
      return answer.status === 200 ? undefined : answer;
    });
    t.equal(refused?.status, 503, 'a killed server: 503 too');
    t.ok(Number(refused?.headers.get('retry-after')) > 0);
    // Its backends notice the postmaster is gone and exit; until they have, a new one cannot start.
    server = (await eventually(
      () => startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port, logger }).catch(() => undefined),
      60_000,
      1000,
    )) as EmbeddedDatabase;
    t.ok(server, 'the server starts again');
    t.ok(await eventually(async () => ((await call(kernel, 'GET', '/ready')).status === 200 ? true : undefined), 60_000, 500), '/ready recovers again');
    const controller2 = new AbortController();
    t.teardown(() => controller2.abort());
    const second = readEventStream({ url: `${kernel.url}/api/v1/events/stream?topics=example.scored`, headers, signal: controller2.signal, maxReconnects: 0 });
    const next = (async () => {
      for await (const event of second) return event as ServerSentEvent;
      return undefined;
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    t.equal((await call(kernel, 'POST', '/api/v1/example/scores', { headers, body: { label: 'after kill', values: [2] } })).status, 202);
    const event2 = await Promise.race([next, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 60_000)))]);
    clearTimeout(timer);
    controller2.abort();
    t.match(event2 && JSON.parse(event2.data), { topic: 'example.scored', payload: { label: 'after kill' } }, 'jobs and events recover from a kill too');
  });
});
