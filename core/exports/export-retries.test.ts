import t from 'tap';
import { definePlugin } from '../plugin-api/index.ts';
import { call } from '../plugin-api/testing.ts';
import { eventually } from '../testing/eventually.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { idem } from '../imports/imports.testkit.ts';

/** A kind whose rows can never be read (its store is away): every attempt of an export fails. */
const reads = { attempts: 0 };
const unreadable = definePlugin({
  id: 'unreadable_kind',
  version: '1.0.0',
  host: '*',
  importKinds: [
    {
      name: 'archived',
      description: 'Rows kept somewhere that is offline',
      rowSchema: { type: 'object', required: ['key'], properties: { key: { type: 'string' } } },
      async upsert() {},
      read: () => ({
        [Symbol.asyncIterator]: () => ({
          next: async () => {
            reads.attempts += 1;
            throw new Error('the archive is offline');
          },
        }),
      }),
    },
  ],
  init() {},
});

t.test('a job that keeps failing is retried, then fails with its error code, retry count and message', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [unreadable] });
  const queued = await call(kernel, 'POST', '/api/v1/exports', { headers: { ...acmeAdmin.headers, ...idem() }, body: { kind: 'archived', format: 'ndjson' } });
  t.equal(queued.status, 202, queued.text);
  const job = (id: string) => call(kernel, 'GET', `/api/v1/jobs/${id}`, { headers: acmeAdmin.headers });

  const waiting = await eventually(async () => {
    const got = (await job(queued.json.id)).json;
    return got.state === 'queued' && got.errorCode ? got : undefined;
  }, 30_000);
  t.match(waiting, { state: 'queued', errorCode: 'internal', errorMessage: /the archive is offline/ }, 'between attempts it is queued again, saying why');

  // pg-boss retries after 10 s, then 20 s (backoff).
  const failed = await eventually(async () => {
    const got = (await job(queued.json.id)).json;
    return got.state === 'failed' ? got : undefined;
  }, 120_000);
  t.match(failed, {
    state: 'failed',
    retryCount: 2,
    errorCode: 'internal',
    errorMessage: /the archive is offline/,
    artifactUrl: null,
    rows: { read: 0, written: 0 },
  });
  t.ok(failed.retryCount > 0, 'the retries are counted');
  t.equal(reads.attempts, 3, 'the first attempt and two retries');
  t.ok(Date.parse(failed.completedAt) >= Date.parse(failed.startedAt), 'it ended after its last start');

  const [event] = await kernel.database.platform.query<{ payload: Record<string, unknown> }>("SELECT payload FROM event_outbox WHERE topic = 'job.failed'");
  t.match(
    event?.payload,
    { id: queued.json.id, type: 'export', kind: 'archived', errorCode: 'internal', errorMessage: /offline/ },
    'job.failed is published once it fails for good',
  );
});
