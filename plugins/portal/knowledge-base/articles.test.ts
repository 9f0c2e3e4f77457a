import t from 'tap';
import { startPortal } from '../portal.testkit.ts';

t.test('articles: resource with versions; full-text search ranks title matches first and highlights', async (t) => {
  const w = await startPortal(t);
  const add = async (body: Record<string, unknown>) => {
    const created = await w.write('POST', '/api/v1/articles', w.acmeOps, body);
    t.equal(created.status, 201, created.text);
    return created.json;
  };
  const vpn = await add({
    title: 'Connecting to the VPN',
    body: 'Install the client, then sign in with your company account.',
    visibility: 'public',
    tags: ['network'],
  });
  const printers = await add({
    title: 'Printer troubleshooting',
    body: 'When printing fails, restart the spooler. The VPN is not needed for printers.',
    visibility: 'client',
  });
  await add({ title: 'Firewall admin passwords', body: 'Rotate the VPN concentrator password monthly.', visibility: 'internal' });

  const search = await w.read('/api/v1/articles?q=vpn', w.acmeViewer);
  t.equal(search.status, 200, search.text);
  t.equal(search.json.page.total, 3, 'staff search every visibility');
  t.equal(search.json.data[0].id, vpn.id, 'a title match ranks first');
  t.match(search.json.data[0], { rank: Number, snippet: String });
  t.match(search.json, { sort: { by: 'rank', order: 'desc' }, filters: { q: 'vpn' } });
  const stemmed = await w.read('/api/v1/articles?q=printed', w.acmeViewer);
  t.same(
    stemmed.json.data.map((a: { id: string }) => a.id),
    [printers.id],
    'english stemming: printed matches printing',
  );
  t.match(stemmed.json.data[0].snippet, /«print/);
  t.equal((await w.read('/api/v1/articles?q=vpn -printers', w.acmeViewer)).json.page.total, 2, 'web-search syntax excludes');
  t.equal((await w.read('/api/v1/articles?visibility=internal', w.acmeViewer)).json.page.total, 1);

  const patched = await w.write('PATCH', `/api/v1/articles/${vpn.id}`, w.acmeOps, { body: 'Use WireGuard.', version: 1 });
  t.match(patched.json, { body: 'Use WireGuard.', version: 2 });
  t.equal((await w.read('/api/v1/articles?q=wireguard', w.acmeViewer)).json.data[0].id, vpn.id, 'the index follows changes');
  t.equal((await w.write('PATCH', `/api/v1/articles/${vpn.id}`, w.acmeOps, { body: 'x', version: 1 })).status, 409);
  t.match((await w.write('PUT', `/api/v1/articles/${vpn.id}`, w.acmeOps, { title: 'VPN', visibility: 'public', version: 2 })).json, {
    body: '',
    tags: [],
    version: 3,
  });

  t.equal((await w.write('POST', '/api/v1/articles', w.acmeOps, { title: 'x', visibility: 'secret' })).status, 400);
  t.equal(
    (await w.write('POST', '/api/v1/articles', w.acmeOps, { title: 'x', visibility: 'client', clientId: '00000000-0000-4000-8000-000000000000' })).status,
    404,
  );
  t.equal((await w.write('POST', '/api/v1/articles', { headers: {} }, { title: 'x', visibility: 'public' })).status, 401);
  t.equal((await w.write('POST', '/api/v1/articles', w.acmeViewer, { title: 'x', visibility: 'public' })).status, 403);
  t.equal((await w.read(`/api/v1/articles/${vpn.id}`, w.globexAdmin)).status, 404);
  t.equal((await w.read('/api/v1/articles?q=vpn', w.globexAdmin)).json.page.total, 0);
  t.equal((await w.write('DELETE', `/api/v1/articles/${vpn.id}`, w.globexAdmin)).status, 404);
  t.equal((await w.write('DELETE', `/api/v1/articles/${vpn.id}`, w.acmeOps)).status, 204);
});

t.test("portal knowledge base: public and client articles only, never internal or another client's", async (t) => {
  const w = await startPortal(t);
  const add = async (body: Record<string, unknown>) => (await w.write('POST', '/api/v1/articles', w.acmeOps, body)).json;
  const publicOne = await add({ title: 'Password reset', body: 'Use the self-service page to reset a password.', visibility: 'public' });
  const everyClient = await add({ title: 'Support hours', body: 'We answer from 8 to 18. Password questions too.', visibility: 'client' });
  const initechOnly = await add({
    title: 'Initech password policy',
    body: 'Initech passwords expire every 90 days.',
    visibility: 'client',
    clientId: w.initech.id,
  });
  const umbrellaOnly = await add({
    title: 'Umbrella password policy',
    body: 'Umbrella passwords never expire.',
    visibility: 'client',
    clientId: w.umbrella.id,
  });
  const vault = await add({ title: 'Admin password vault', body: 'The password vault lives at vault.internal.', visibility: 'internal' });

  const all = await w.read('/api/v1/portal/knowledge-base', w.initech);
  t.equal(all.status, 200, all.text);
  t.same(all.json.data.map((a: { id: string }) => a.id).sort(), [publicOne.id, everyClient.id, initechOnly.id].sort());
  const searched = await w.read('/api/v1/portal/knowledge-base?q=password', w.initech);
  t.equal(searched.json.page.total, 3, 'search sees the same articles');
  t.ok(searched.json.data.every((a: { id: string }) => a.id !== umbrellaOnly.id));
  t.equal(searched.json.data[searched.json.data.length - 1].id, everyClient.id, 'a body-only match ranks below title matches');
  const umbrella = await w.read('/api/v1/portal/knowledge-base?q=expire', w.umbrella);
  t.same(
    umbrella.json.data.map((a: { id: string }) => a.id),
    [umbrellaOnly.id],
  );
  t.equal((await w.read('/api/v1/portal/knowledge-base?q=vault', w.initech)).json.page.total, 0, 'internal articles stay internal');
  t.equal((await w.read(`/api/v1/articles/${umbrellaOnly.id}`, w.initech)).status, 403, 'the staff API is not for portal sessions');

  for (const visible of [publicOne, everyClient, initechOnly]) {
    const one = await w.read(`/api/v1/portal/knowledge-base/${visible.id}`, w.initech);
    t.equal(one.status, 200, one.text);
    t.same(one.json, visible, `${visible.title}: the article as written`);
  }
  const others = await w.read(`/api/v1/portal/knowledge-base/${umbrellaOnly.id}`, w.initech);
  t.equal(others.status, 404, "another client's own article is not there");
  t.match(others.json, { error: { code: 'not_found' } });
  t.equal((await w.read(`/api/v1/portal/knowledge-base/${vault.id}`, w.initech)).status, 404, 'nor an internal one');
  t.equal((await w.read(`/api/v1/portal/knowledge-base/${umbrellaOnly.id}`, w.umbrella)).status, 200, 'its own client reads it');
  t.equal((await w.read(`/api/v1/portal/knowledge-base/${vault.id}`, w.umbrella)).status, 404);
  t.equal((await w.read('/api/v1/portal/knowledge-base/00000000-0000-4000-8000-000000000000', w.initech)).status, 404);
  t.equal((await w.read('/api/v1/portal/knowledge-base/not-a-uuid', w.initech)).status, 400);
  t.equal((await w.read(`/api/v1/portal/knowledge-base/${publicOne.id}`, { headers: {} })).status, 401);
  t.equal((await w.read(`/api/v1/portal/knowledge-base/${publicOne.id}`, w.acmeViewer)).status, 403, 'staff read articles through /api/v1/articles');
  t.equal(
    (await w.read(`/api/v1/portal/knowledge-base/${publicOne.id}`, { headers: { ...w.initech.headers, 'x-workspace-id': 'globex' } })).status,
    404,
    'in another workspace',
  );
  t.equal((await w.read('/api/v1/portal/knowledge-base', { headers: {} })).status, 401);
  t.equal((await w.read('/api/v1/portal/knowledge-base', w.acmeViewer)).status, 403);
  t.equal((await w.read('/api/v1/portal/knowledge-base?limit=0', w.initech)).status, 400);
});
