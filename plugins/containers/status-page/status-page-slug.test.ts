import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import { createContainersPlugin } from '../plugin.ts';

t.test('the public page is reached by its published slug only; unknown and unpublished answer alike', async (t) => {
  const { kernel, acmeOps, acmeViewer, globexAdmin } = await startWorld(t, { plugins: [createContainersPlugin()] });
  const created = await call(kernel, 'POST', '/api/v1/status/components', {
    headers: acmeOps.headers,
    body: { name: 'Web', monitorType: 'container', monitorId: 'web' },
  });
  t.equal(created.status, 201);
  const page = async (query: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${kernel.url}/status${query}`, { headers });
    return { status: response.status, body: await response.text() };
  };
  const stream = async (query: string) => {
    const response = await call(kernel, 'GET', `/status/events${query}`);
    return { status: response.status, code: response.json?.error?.code, message: response.json?.error?.message };
  };
  const settings = (slug: string | null, headers = acmeOps.headers) => call(kernel, 'PUT', '/api/v1/status/settings', { headers, body: { slug } });

  const unknown = await page('?workspace=no-such-page');
  t.equal(unknown.status, 404);
  t.same(await page('?workspace=acme'), unknown, 'an unpublished workspace answers exactly as an unknown one');
  t.same(await page('', { 'x-workspace-id': 'acme' }), unknown, 'by header too');
  const unknownStream = await stream('?workspace=no-such-page');
  t.match(unknownStream, { status: 404, code: 'not_found' });
  t.same(await stream('?workspace=acme'), unknownStream, 'the stream says the same of both');

  t.match((await call(kernel, 'GET', '/api/v1/status/settings', { headers: acmeOps.headers })).json, { slug: null });
  t.equal((await settings('acme-public', acmeViewer.headers)).status, 403, 'publishing needs containers.status_page:write');
  const invalid = await settings('Not A Slug');
  t.equal(invalid.status, 400, invalid.text);
  const published = await settings('acme-public');
  t.equal(published.status, 200, published.text);
  t.match(published.json, { slug: 'acme-public', updatedAt: String });
  t.equal((await settings('acme-public', globexAdmin.headers)).status, 409, 'a slug belongs to one workspace');

  const shown = await page('?workspace=acme-public');
  t.equal(shown.status, 200, 'published by its slug');
  t.ok(shown.body.includes('Web'));
  t.ok(shown.body.includes('/status/events?workspace=acme-public'), 'its stream by the slug too');
  t.notOk(shown.body.includes('>acme status<'), 'the workspace id is not shown');
  t.equal((await page('', { 'x-workspace-id': 'acme-public' })).status, 200, 'the header names a slug');
  const live = new AbortController();
  const opened = await fetch(`${kernel.url}/status/events?workspace=acme-public`, { signal: live.signal });
  t.equal(opened.status, 200, 'the stream by the slug');
  live.abort();
  t.same(await page('?workspace=acme'), unknown, 'the workspace id is no way in');
  t.same(await page('?workspace=globex'), unknown, 'nor for a workspace without a page');

  t.equal((await settings('acme')).status, 200);
  t.equal((await page('?workspace=acme')).status, 200, 'the id works only as the slug it was published under');
  t.same(await page('?workspace=acme-public'), unknown, 'the old slug is gone');

  t.match((await settings(null)).json, { slug: null });
  t.same(await page('?workspace=acme'), unknown, 'unpublished again');
});
