import t from 'tap';
import { startPortal } from './portal.testkit.ts';

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

t.test('every staff and portal route: bad input 400, no auth 401, wrong role 403, another workspace 404', async (t) => {
  const w = await startPortal(t);
  const lines = [{ description: 'x', quantity: 1, unitMinor: 100 }];
  const quote = (await w.write('POST', '/api/v1/quotes', w.acmeBilling, { clientId: w.initech.id, title: 'q', currency: 'EUR', lines, status: 'sent' })).json;
  const invoice = (await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(5) })).json;
  const article = (await w.write('POST', '/api/v1/articles', w.acmeOps, { title: 'a', visibility: 'public' })).json;
  const invite = (await w.write('POST', '/api/v1/portal/invites', w.acmeOps, { clientId: w.initech.id, email: 'x@initech.test' })).json;
  const sync = (await w.write('POST', '/api/v1/integrations/accounting/sync', w.acmeBilling, {})).json;
  const ticket = (await w.write('POST', '/api/v1/portal/tickets', w.initech, { title: 'Printer' })).json;

  // [method, path, allowed actor, an actor without the permission, a bad body or query]
  type Caller = { headers: Record<string, string> };
  const staff: [string, string, Caller, Caller, unknown][] = [
    ['GET', '/api/v1/clients?sortBy=nope', w.acmeViewer, w.initech, undefined],
    ['GET', `/api/v1/clients/${w.initech.id}`, w.acmeViewer, w.initech, undefined],
    ['PUT', `/api/v1/clients/${w.initech.id}`, w.acmeOps, w.acmeViewer, { name: 'x' }],
    ['PATCH', `/api/v1/clients/${w.initech.id}`, w.acmeOps, w.acmeViewer, { status: 'gone', version: 1 }],
    ['DELETE', `/api/v1/clients/${w.umbrella.id}`, w.acmeOps, w.acmeViewer, undefined],
    ['GET', '/api/v1/portal/invites?sortBy=nope', w.acmeOps, w.acmeViewer, undefined],
    ['POST', `/api/v1/portal/invites/${invite.id}/revoke`, w.acmeOps, w.acmeViewer, undefined],
    ['GET', '/api/v1/quotes?status=nope', w.acmeBilling, w.acmeOps, undefined],
    ['GET', `/api/v1/quotes/${quote.id}`, w.acmeBilling, w.acmeOps, undefined],
    ['PUT', `/api/v1/quotes/${quote.id}`, w.acmeBilling, w.acmeOps, { title: 'x' }],
    ['PATCH', `/api/v1/quotes/${quote.id}`, w.acmeBilling, w.acmeOps, { lines: [], version: 'one' }],
    ['DELETE', `/api/v1/quotes/${quote.id}`, w.acmeBilling, w.acmeOps, undefined],
    ['GET', '/api/v1/invoices?sortBy=nope', w.acmeBilling, w.acmeOps, undefined],
    ['GET', `/api/v1/invoices/${invoice.id}`, w.acmeBilling, w.acmeOps, undefined],
    ['PUT', `/api/v1/invoices/${invoice.id}`, w.acmeBilling, w.acmeOps, { currency: 'EUR' }],
    ['PATCH', `/api/v1/invoices/${invoice.id}`, w.acmeBilling, w.acmeOps, { status: 'paid', version: 1 }],
    ['DELETE', `/api/v1/invoices/${invoice.id}`, w.acmeBilling, w.acmeOps, undefined],
    ['GET', '/api/v1/payments?sortBy=nope', w.acmeBilling, w.acmeOps, undefined],
    ['GET', '/api/v1/articles?limit=0', w.acmeViewer, w.initech, undefined],
    ['GET', `/api/v1/articles/${article.id}`, w.acmeViewer, w.initech, undefined],
    ['PUT', `/api/v1/articles/${article.id}`, w.acmeOps, w.acmeViewer, { title: 'x' }],
    ['PATCH', `/api/v1/articles/${article.id}`, w.acmeOps, w.acmeViewer, { visibility: 'secret', version: 1 }],
    ['DELETE', `/api/v1/articles/${article.id}`, w.acmeOps, w.acmeViewer, undefined],
    ['POST', '/api/v1/integrations/accounting/sync', w.acmeBilling, w.acmeOps, { format: 'xls' }],
    ['GET', `/api/v1/integrations/accounting/sync/${sync.id}`, w.acmeBilling, w.acmeOps, undefined],
    ['GET', `/api/v1/integrations/accounting/sync/${sync.id}/file`, w.acmeBilling, w.acmeViewer, undefined],
    ['POST', '/api/v1/portal/session-tokens', w.acmeAdmin, w.acmeOps, { clientId: 'not-a-uuid' }],
  ];
  for (const [method, path, allowed, denied, bad] of staff) {
    const send = (actor: { headers: Record<string, string> }, body?: unknown) => (method === 'GET' ? w.read(path, actor) : w.write(method, path, actor, body));
    const cleanPath = path.split('?')[0];
    const sendClean = (actor: { headers: Record<string, string> }) => (method === 'GET' ? w.read(cleanPath, actor) : w.write(method, cleanPath, actor, bad));
    const unauthenticated = await sendClean({ headers: {} });
    t.equal(unauthenticated.status, 401, `${method} ${cleanPath} without sign-in`);
    t.match(unauthenticated.json, { error: { code: 'unauthorized', correlationId: String } });
    t.equal((await sendClean(denied)).status, 403, `${method} ${cleanPath} without the permission`);
    if (/\/[0-9a-f-]{36}/.test(cleanPath))
      t.equal(
        (await sendClean(w.globexAdmin)).status,
        method === 'GET' || method === 'DELETE' || method === 'POST' ? 404 : 400,
        `${method} ${cleanPath} from another workspace`,
      );
    if (method === 'GET' && path.includes('?')) t.equal((await send(allowed)).status, 400, `${method} ${path}: bad query`);
    if (method !== 'GET' && method !== 'DELETE' && bad !== undefined) {
      const refused = await send(allowed, bad);
      t.equal(refused.status, 400, `${method} ${path}: bad body`);
      t.match(refused.json, { error: { code: 'validation_failed' } });
    }
  }
  // Valid bodies from another workspace: 404, never 403 or data.
  t.equal((await w.write('PATCH', `/api/v1/clients/${w.initech.id}`, w.globexAdmin, { name: 'x', version: 1 })).status, 404);
  t.equal((await w.write('PATCH', `/api/v1/quotes/${quote.id}`, w.globexAdmin, { title: 'x', version: 1 })).status, 404);
  t.equal((await w.write('PATCH', `/api/v1/invoices/${invoice.id}`, w.globexAdmin, { dueAt: inDays(9), version: 1 })).status, 404);
  t.equal((await w.write('PATCH', `/api/v1/articles/${article.id}`, w.globexAdmin, { title: 'x', version: 1 })).status, 404);

  // [method, path, a valid body]
  const portal: [string, string, unknown?][] = [
    ['GET', '/api/v1/portal/tickets?status=nope'],
    ['GET', '/api/v1/portal/quotes?status=draft'],
    ['GET', '/api/v1/portal/invoices?status=draft'],
    ['GET', '/api/v1/portal/payments?limit=100000'],
    ['GET', '/api/v1/portal/knowledge-base?offset=-1'],
    ['GET', '/api/v1/portal/summary?x=%00'],
    ['POST', `/api/v1/portal/invoices/${invoice.id}/acknowledge`],
    ['POST', `/api/v1/portal/quotes/${quote.id}/decision`, { decision: 'accept' }],
    ['POST', '/api/v1/portal/tickets', { title: 'Another printer' }],
    ['POST', `/api/v1/portal/tickets/${ticket.id}/update`, { comment: 'Still broken' }],
    ['POST', `/api/v1/portal/invoices/${invoice.id}/payment-intent`],
    ['GET', `/api/v1/portal/knowledge-base/${article.id}`],
  ];
  for (const [method, path, body] of portal) {
    const cleanPath = path.split('?')[0];
    const send = (actor: { headers: Record<string, string> }, p = cleanPath) => (method === 'GET' ? w.read(p, actor) : w.write(method, p, actor, body));
    t.equal((await send({ headers: {} })).status, 401, `${method} ${cleanPath} without sign-in`);
    t.equal((await send(w.acmeViewer)).status, 403, `${method} ${cleanPath} as staff`);
    t.equal((await send({ headers: { ...w.initech.headers, 'x-workspace-id': 'globex' } })).status, 404, `${method} ${cleanPath} in another workspace`);
    if (method === 'GET' && path.includes('?')) t.equal((await send(w.initech, path)).status, 400, `${method} ${path}: bad query`);
  }
  const badDecision = await w.write('POST', `/api/v1/portal/quotes/${quote.id}/decision`, w.initech, { decision: 'accept', extra: true });
  t.equal(badDecision.status, 400);
});
