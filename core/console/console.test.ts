import t from 'tap';
import { budgetBytes, ensureConsoleBuilt } from '../../console/build.ts';
import { validateManifest } from '../kernel/manifest-validation.ts';
import { definePlugin } from '../plugin-api/index.ts';
import { call } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { publicGet } from '../testing/inline-plugins.ts';

// A plugin with one console page over its list operation, a create form for it, and its rows'
// resource operations (read, update, delete), which give the page a record view.
const boardSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', maxLength: 100 }, lane: { $ref: '#/components/schemas/Lane' } },
};
const ok = { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } };
const refusals = Object.fromEntries(['400', '401', '403'].map((status) => [status, { description: 'refused' }]));
const boardPage = { path: 'boards', title: 'Boards', navGroup: 'Planning', permission: 'board:read', list: '/api/v1/boards', columns: ['name'] };
const boardPlugin = (create: { operation: string; label: string } = { operation: 'createBoard', label: 'New board' }) =>
  definePlugin({
    id: 'board',
    version: '1.0.0',
    host: '*',
    openapi: {
      paths: {
        '/api/v1/boards': {
          // Offered as filters (a search box, a choice of lanes, yes or no) and sortable columns; paging has its own controls.
          parameters: [
            { name: 'q', in: 'query', schema: { type: 'string', maxLength: 100 } },
            { name: 'lane', in: 'query', schema: { $ref: '#/components/schemas/Lane' } },
            { name: 'archived', in: 'query', schema: { type: 'boolean' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 100 } },
            { name: 'sortBy', in: 'query', schema: { type: 'string', enum: ['name', 'createdAt'] } },
            { name: 'sortOrder', in: 'query', schema: { type: 'string', enum: ['asc', 'desc'] } },
          ],
          ...publicGet('listBoards'),
          post: {
            operationId: 'createBoard',
            'x-permission': 'board:write',
            requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewBoard' } } } },
            responses: {
              '201': { description: 'created', content: { 'application/json': { schema: { type: 'object' } } } },
              ...refusals,
            },
          },
        },
        '/api/v1/boards/{id}/archive': {
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 36 } }],
          post: { operationId: 'archiveBoard', 'x-permission': 'board:write', responses: { '200': ok, ...refusals, '404': { description: 'none' } } },
        },
        '/api/v1/boards/{id}/cards': {
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 36 } }],
          get: { operationId: 'listBoardCards', 'x-permission': 'board:read', responses: { '200': ok, ...refusals, '404': { description: 'none' } } },
        },
        '/api/v1/boards/{id}': {
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 36 } }],
          get: { operationId: 'getBoard', 'x-permission': 'board:read', responses: { '200': ok, ...refusals, '404': { description: 'none' } } },
          patch: {
            operationId: 'updateBoard',
            'x-permission': 'board:write',
            requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewBoard' } } } },
            responses: { '200': ok, ...refusals, '404': { description: 'none' } },
          },
          delete: {
            operationId: 'deleteBoard',
            'x-permission': 'board:admin',
            responses: { '204': { description: 'gone' }, ...refusals, '404': { description: 'none' } },
          },
        },
      },
      components: { schemas: { NewBoard: boardSchema, Lane: { type: 'string', enum: ['todo', 'doing', 'done'] } } },
    },
    permissions: [
      { name: 'board:read', description: 'See boards' },
      { name: 'board:write', description: 'Create and change boards' },
      { name: 'board:admin', description: 'Delete boards' },
    ],
    policies: [
      { role: 'viewer', permission: 'board:read' },
      { role: 'ops_engineer', permission: 'board:write' },
    ],
    console: {
      pages: [
        {
          ...boardPage,
          create,
          record: {
            actions: [
              { operation: 'archiveBoard', label: 'Archive' },
              { operation: 'listBoards', label: 'Not below the row' },
            ],
            lists: [{ operation: 'listBoardCards', title: 'Cards', columns: ['title'] }],
          },
        },
      ],
    },
    init(ctx) {
      ctx.handle('listBoards', () => ({ data: [{ name: 'Roadmap' }] }));
      ctx.handle('createBoard', (req) => ({ status: 201, body: req.body }));
      ctx.handle('getBoard', (req) => ({ id: req.params.id, name: 'Roadmap' }));
      ctx.handle('updateBoard', (req) => ({ id: req.params.id, ...(req.body as object) }));
      ctx.handle('deleteBoard', () => ({ status: 204 }));
      ctx.handle('archiveBoard', (req) => ({ id: req.params.id, archived: true }));
      ctx.handle('listBoardCards', () => ({ data: [{ title: 'Ship it' }] }));
    },
  });

let firstLoad: Awaited<ReturnType<typeof ensureConsoleBuilt>>;
t.before(async () => {
  firstLoad = await ensureConsoleBuilt();
});

t.test('the console build measures what a first visit downloads and keeps it within the budget', async (t) => {
  t.same(
    firstLoad.files.map((f) => f.name.replace(/-[\w-]+\./, '-<hash>.')),
    ['index.html', 'assets/index-<hash>.js', 'assets/index-<hash>.css'],
    'the page, one script, one stylesheet: nothing else at first load',
  );
  t.ok(firstLoad.files.every((f) => f.gzip > 0 && f.gzip < f.bytes));
  t.ok(firstLoad.totalGzip <= budgetBytes, `${firstLoad.totalGzip} bytes gzip, within ${budgetBytes}`);
});

t.test('the console is served at / and /console/*: strict CSP, revalidated HTML, immutable hashed assets', async (t) => {
  const { kernel } = await startWorld(t);
  for (const path of ['/', '/console', '/console/heartbeats/some-id']) {
    const page = await call(kernel, 'GET', path);
    t.equal(page.status, 200, path);
    t.match(page.headers.get('content-type'), /^text\/html/);
    t.equal(page.headers.get('cache-control'), 'no-cache', `${path}: revalidated on every load`);
    const csp = page.headers.get('content-security-policy') ?? '';
    t.match(csp, /default-src 'none'/);
    t.match(csp, /script-src 'self'(;|$)/, 'no inline or foreign script');
    t.notMatch(csp, /unsafe-inline|unsafe-eval/);
    t.match(csp, /frame-ancestors 'none'/);
    t.notMatch(page.text, /<script>|<style>|\sstyle="/, 'the page has no inline script or style');
  }
  const index = (await call(kernel, 'GET', '/')).text;
  const assets = [...index.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]);
  t.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), 'a script and a stylesheet');
  for (const asset of assets) {
    const served = await call(kernel, 'GET', asset);
    t.equal(served.status, 200, asset);
    t.equal(served.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    t.equal(served.headers.get('x-content-type-options'), 'nosniff');
  }
  const missing = await call(kernel, 'GET', '/console/assets/index-nothere.js');
  t.equal(missing.status, 404);
  t.equal(missing.json.error.code, 'not_found', 'the standard error format');
  t.ok(missing.json.error.correlationId);
  t.equal((await call(kernel, 'POST', '/', { body: {} })).status, 404, 'only GET and HEAD reach the console');
});

t.test('GET /api/v1/console/pages lists the pages of the plugins loaded now', async (t) => {
  const { kernel, acmeViewer, admin } = await startWorld(t, { plugins: [boardPlugin()] });
  const listed = await call(kernel, 'GET', '/api/v1/console/pages', { headers: acmeViewer.headers });
  t.equal(listed.status, 200);
  const resolvedBoard = { ...boardSchema, properties: { ...boardSchema.properties, lane: { type: 'string', enum: ['todo', 'doing', 'done'] } } };
  t.same(
    listed.json,
    {
      data: [
        {
          plugin: 'board',
          ...boardPage,
          create: {
            operationId: 'createBoard',
            label: 'New board',
            method: 'POST',
            path: '/api/v1/boards',
            permission: 'board:write',
            schema: resolvedBoard,
          },
          record: {
            path: '/api/v1/boards/{id}',
            param: 'id',
            permission: 'board:read',
            update: { operationId: 'updateBoard', method: 'PATCH', permission: 'board:write', schema: resolvedBoard },
            remove: { operationId: 'deleteBoard', permission: 'board:admin' },
            actions: [{ operationId: 'archiveBoard', label: 'Archive', path: '/api/v1/boards/{id}/archive', permission: 'board:write' }],
            lists: [{ operationId: 'listBoardCards', title: 'Cards', path: '/api/v1/boards/{id}/cards', permission: 'board:read', columns: ['title'] }],
          },
          sortable: ['name', 'createdAt'],
          filters: [{ name: 'q' }, { name: 'lane', options: ['todo', 'doing', 'done'] }, { name: 'archived', options: ['true', 'false'] }],
        },
      ],
    },
    'the create form and the record view, with their permissions and request schemas, references resolved',
  );
  t.equal((await call(kernel, 'GET', '/api/v1/console/pages', { headers: admin.headers })).status, 200, 'without a workspace too');
  const anonymous = await call(kernel, 'GET', '/api/v1/console/pages');
  t.equal(anonymous.status, 401);
  t.equal(anonymous.json.error.code, 'unauthorized');
  const forged = await call(kernel, 'GET', '/api/v1/console/pages', { headers: { authorization: 'Bearer not-a-token' } });
  t.equal(forged.status, 401);
});

t.test('a create form naming an operation the plugin does not have is left out, not offered', async (t) => {
  const { kernel, acmeViewer } = await startWorld(t, { plugins: [boardPlugin({ operation: 'createPlan', label: 'New plan' })] });
  const [page] = (await call(kernel, 'GET', '/api/v1/console/pages', { headers: acmeViewer.headers })).json.data;
  t.equal(page.path, 'boards');
  t.notOk('create' in page);
});

t.test('an unlicensed plugin contributes no console page', async (t) => {
  const production = { NODE_ENV: 'production', ITOPS_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };
  const { kernel, acmeViewer } = await startWorld(t, { plugins: [boardPlugin()], env: production });
  const listed = await call(kernel, 'GET', '/api/v1/console/pages', { headers: acmeViewer.headers });
  t.equal(listed.status, 200);
  t.same(listed.json, { data: [] }, 'production without a license runs only the core: no page');
  t.equal((await call(kernel, 'GET', '/api/v1/boards')).status, 404, 'and no route');
});

t.test('console declarations are checked before a plugin loads', async (t) => {
  const manifest = (console: unknown) => ({ ...boardPlugin(), console }) as never;
  t.same(validateManifest(boardPlugin(), '0.1.0', 'test'), []);
  const problems = validateManifest(
    manifest({
      pages: [
        { path: 'Boards!', title: 'x', navGroup: 'x', permission: 'board:read' },
        { path: 'alerts', title: 'Mine', navGroup: 'x', permission: 'board:read' },
        { path: 'plans', title: '', navGroup: 'x', permission: 'board:own' },
        { path: 'other', title: 'Other', navGroup: 'x', permission: 'board:read', list: 'https://elsewhere.example/x' },
        { path: 'forms', title: 'Forms', navGroup: 'x', permission: 'board:read', create: { operation: 'POST /api/v1/boards', label: '' } },
        {
          path: 'rows',
          title: 'Rows',
          navGroup: 'x',
          permission: 'board:read',
          record: { actions: [{ operation: 'archiveBoard' }], lists: [{ operation: 'x', title: 'X', columns: 'title' }] },
        },
      ],
    }),
    '0.1.0',
    'test',
  );
  t.match(problems.join('\n'), /"Boards!": path must be lowercase/);
  t.match(problems.join('\n'), /"alerts": the console's own page is there/);
  t.match(problems.join('\n'), /"plans": title must be a non-empty string/);
  t.match(problems.join('\n'), /"plans": permission "board:own" is not one the manifest declares/);
  t.match(problems.join('\n'), /"other": list must be a parameterless \/api\/v1\/ path/);
  t.match(problems.join('\n'), /"rows": record.actions must be at most 20 of/);
  t.match(problems.join('\n'), /"rows": record.lists must be at most 20 of/);
  t.match(problems.join('\n'), /"forms": create must be \{ operation: an operationId, label: a button's words \}/);
  t.match(validateManifest(manifest({ pages: 'boards' }), '0.1.0', 'test').join('\n'), /console must be \{ pages: \[\.\.\.\] \}/);
});
