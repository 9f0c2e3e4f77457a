import http from 'node:http';
import t from 'tap';
import { definePlugin } from '../plugin-api/index.ts';
import { call } from '../plugin-api/testing.ts';
import { eventually } from '../testing/eventually.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { finishedJob, idem } from './imports.testkit.ts';

/** A kind whose upsert waits, for workspace acme only, until the test lets it go. */
function gatedPlugin(t: { teardown(fn: () => unknown): void }) {
  let open = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  t.teardown(() => open());
  const entered: string[] = [];
  const plugin = definePlugin({
    id: 'gated_kind',
    version: '1.0.0',
    host: '*',
    importKinds: [
      {
        name: 'gated',
        description: 'Waits for the test',
        rowSchema: { type: 'object', required: ['key'], properties: { key: { type: 'string', maxLength: 20 } } },
        async upsert(tx, rows) {
          entered.push(`${tx.tenantId}:${rows[0].key}`);
          if (tx.tenantId === 'acme') await gate;
        },
        async *read() {},
      },
    ],
    init() {},
  });
  return { plugin, entered, open: () => open() };
}

t.test("a workspace's long import holds one slot: its next import waits, another workspace's runs at once", async (t) => {
  const gated = gatedPlugin(t);
  const { kernel, acmeAdmin, globexAdmin } = await startWorld(t, { plugins: [gated.plugin] });
  const upload = (headers: Record<string, string>, key: string) =>
    call(kernel, 'POST', '/api/v1/imports?kind=gated', {
      headers: { ...headers, ...idem(), 'content-type': 'application/x-ndjson' },
      raw: `{"key":"${key}"}\n`,
    });
  const long = await upload(acmeAdmin.headers, 'long');
  t.ok(await eventually(() => (gated.entered.includes('acme:long') ? true : undefined)), "acme's long import is writing");
  const next = await upload(acmeAdmin.headers, 'next');
  const other = await upload(globexAdmin.headers, 'other');
  t.match(await finishedJob(kernel, globexAdmin.headers, other.json.id), { state: 'completed', rows: { written: 1 } }, "globex's import ran meanwhile");
  const waiting = await call(kernel, 'GET', `/api/v1/jobs/${next.json.id}`, { headers: acmeAdmin.headers });
  t.equal(waiting.json.state, 'queued', "acme's next import waits for its first, though a slot is free");
  t.notOk(gated.entered.includes('acme:next'));
  gated.open();
  t.match(await finishedJob(kernel, acmeAdmin.headers, long.json.id), { state: 'completed' });
  t.match(await finishedJob(kernel, acmeAdmin.headers, next.json.id), { state: 'completed' });
});

t.test('an upload over the limit by its Content-Length is refused with 413 before it is read', async (t) => {
  const gated = gatedPlugin(t);
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [gated.plugin] });
  // Declares 2 GiB, sends a few bytes and waits: the answer must come without the rest.
  const status = await new Promise<number>((resolve, reject) => {
    const request = http.request(`${kernel.url}/api/v1/imports?kind=gated`, {
      method: 'POST',
      headers: { ...acmeAdmin.headers, ...idem(), 'content-type': 'text/csv', 'content-length': String(2 * 1024 ** 3) },
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
      request.destroy();
    });
    request.on('error', reject);
    request.write('key\na\n');
  });
  t.equal(status, 413);
  t.equal((await call(kernel, 'GET', '/api/v1/jobs', { headers: acmeAdmin.headers })).json.page.total, 0, 'no job was created');
});
