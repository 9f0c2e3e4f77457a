import t from 'tap';
import { call, eventually, startTestKernel } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { send } from '../secrets/secrets.testkit.ts';
import { settingsProbePlugin } from './settings.testkit.ts';

t.test('platform settings: defaults, changes by a platform admin, resets, stale versions refused', async (t) => {
  const { kernel, admin, acmeAdmin } = await startWorld(t);
  const initial = await call(kernel, 'GET', '/api/v1/platform/settings', { headers: admin.headers });
  t.equal(initial.status, 200);
  t.same(
    initial.json,
    { settings: { core: { instanceName: 'itops', defaultPlan: 'free', supportEmail: null } }, version: 0, updatedAt: null },
    'defaults only',
  );

  const changed = await send(kernel, 'PUT', '/api/v1/platform/settings', {
    headers: admin.headers,
    body: { settings: { core: { instanceName: 'Acme Ops', supportEmail: 'help@acme.test' } }, version: 0 },
  });
  t.equal(changed.status, 200);
  t.match(changed.json, {
    settings: { core: { instanceName: 'Acme Ops', defaultPlan: 'free', supportEmail: 'help@acme.test' } },
    version: 1,
    updatedAt: String,
  });

  const stale = await send(kernel, 'PUT', '/api/v1/platform/settings', {
    headers: admin.headers,
    body: { settings: { core: { defaultPlan: 'pro' } }, version: 0 },
  });
  t.equal(stale.status, 409, 'a change based on an old version');
  const reset = await send(kernel, 'PUT', '/api/v1/platform/settings', { headers: admin.headers, body: { settings: { core: { instanceName: null } } } });
  t.equal(reset.status, 200);
  t.same(reset.json.settings.core, { instanceName: 'itops', defaultPlan: 'free', supportEmail: 'help@acme.test' }, 'null returns a setting to its default');
  t.equal(reset.json.version, 2);

  const unknown = await send(kernel, 'PUT', '/api/v1/platform/settings', { headers: admin.headers, body: { settings: { core: { colour: 'red' } } } });
  t.equal(unknown.status, 400);
  t.same(unknown.json.error.details, [{ path: '/body/settings/core/colour', message: 'is not a known setting' }]);
  const wrongType = await send(kernel, 'PUT', '/api/v1/platform/settings', { headers: admin.headers, body: { settings: { core: { supportEmail: 'nope' } } } });
  t.equal(wrongType.status, 400);
  t.match(wrongType.json.error.details, [{ path: '/body/settings/core/supportEmail' }]);
  const noSection = await send(kernel, 'PUT', '/api/v1/platform/settings', { headers: admin.headers, body: { settings: { nobody: { a: 1 } } } });
  t.equal(noSection.status, 400, 'a section no one declares');
  t.equal((await send(kernel, 'PUT', '/api/v1/platform/settings', { headers: admin.headers, body: { core: {} } })).status, 400, 'not a settings document');

  t.equal((await call(kernel, 'GET', '/api/v1/platform/settings')).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/platform/settings', { headers: acmeAdmin.headers })).status, 403, 'a workspace admin');
  t.equal((await send(kernel, 'PUT', '/api/v1/platform/settings', { headers: acmeAdmin.headers, body: { settings: {} } })).status, 403);

  const schema = await call(kernel, 'GET', '/api/v1/platform/settings/schema', { headers: admin.headers });
  t.equal(schema.status, 200);
  t.equal(schema.json.properties.core.properties.instanceName.default, 'itops', 'the schema carries the defaults');
});

t.test('workspace settings: per workspace, validated, readable by its members, changed by its admins', async (t) => {
  const { kernel, acmeAdmin, acmeViewer, globexAdmin } = await startWorld(t);
  const put = await send(kernel, 'PUT', '/api/v1/workspace/settings', {
    headers: acmeAdmin.headers,
    body: { settings: { core: { timezone: 'Europe/Berlin', weekStartsOn: 'sunday' } } },
  });
  t.equal(put.status, 200);
  t.same(put.json.settings.core, { displayName: null, timezone: 'Europe/Berlin', locale: 'en', weekStartsOn: 'sunday' });

  const viewer = await call(kernel, 'GET', '/api/v1/workspace/settings', { headers: acmeViewer.headers });
  t.equal(viewer.status, 200, 'a viewer reads them');
  t.equal(viewer.json.settings.core.timezone, 'Europe/Berlin');
  t.equal(
    (await send(kernel, 'PUT', '/api/v1/workspace/settings', { headers: acmeViewer.headers, body: { settings: {} } })).status,
    403,
    'but does not change them',
  );
  const globex = await call(kernel, 'GET', '/api/v1/workspace/settings', { headers: globexAdmin.headers });
  t.equal(globex.json.settings.core.timezone, 'UTC', 'another workspace keeps its own');
  t.equal(globex.json.version, 0);
  const across = await call(kernel, 'GET', '/api/v1/workspace/settings', { headers: { ...globexAdmin.headers, 'x-workspace-id': 'acme' } });
  t.ok([403, 404].includes(across.status), `not across workspaces (${across.status})`);

  const zone = await send(kernel, 'PUT', '/api/v1/workspace/settings', {
    headers: acmeAdmin.headers,
    body: { settings: { core: { timezone: 'Mars/Olympus' } } },
  });
  t.equal(zone.status, 400);
  t.same(zone.json.error.details, [{ path: '/body/settings/core/timezone', message: 'unknown time zone Mars/Olympus' }]);
  t.equal((await call(kernel, 'GET', '/api/v1/workspace/settings')).status, 401);

  const [event] = await kernel.database.platform.query<{ tenant_id: string; payload: object }>(
    "SELECT tenant_id, payload FROM event_outbox WHERE topic = 'settings.changed'",
  );
  t.same(
    event,
    { tenant_id: 'acme', payload: { scope: 'workspace', version: 1, sections: ['core'], actor: `user:${acmeAdmin.id}` } },
    'the change is an event of the workspace',
  );
});

t.test('plugins declare their sections in the manifest and read them with defaults; every node follows a change', async (t) => {
  const probe = settingsProbePlugin();
  const { kernel, admin, acmeAdmin } = await startWorld(t, { plugins: [probe.manifest] });
  const initial = await call(kernel, 'GET', '/api/v1/workspace/settings', { headers: acmeAdmin.headers });
  t.same(initial.json.settings.tuning_probe, { checkIntervalSeconds: 60, channels: [] }, 'the plugin’s section with its defaults');
  t.same(await probe.settings.workspace('acme'), { checkIntervalSeconds: 60, channels: [] });
  t.same(await probe.settings.platform(), { enabled: true });
  const schema = await call(kernel, 'GET', '/api/v1/workspace/settings/schema', { headers: acmeAdmin.headers });
  t.equal(schema.json.properties.tuning_probe.properties.checkIntervalSeconds.maximum, 3600, 'its schema is served');

  const tooFast = await send(kernel, 'PUT', '/api/v1/workspace/settings', {
    headers: acmeAdmin.headers,
    body: { settings: { tuning_probe: { checkIntervalSeconds: 5 } } },
  });
  t.equal(tooFast.status, 400);
  t.match(tooFast.json.error.details, [{ path: '/body/settings/tuning_probe/checkIntervalSeconds' }]);

  // A second node on the same database, its cache warm before the change.
  const other = settingsProbePlugin();
  await startTestKernel(t, { databaseUrl: kernel.database.url, plugins: [other.manifest] });
  t.equal((await other.settings.workspace('acme')).checkIntervalSeconds, 60);

  const put = await send(kernel, 'PUT', '/api/v1/workspace/settings', {
    headers: acmeAdmin.headers,
    body: { settings: { tuning_probe: { checkIntervalSeconds: 120 } } },
  });
  t.equal(put.status, 200);
  t.equal((await probe.settings.workspace('acme')).checkIntervalSeconds, 120, 'this node at once');
  const seen = await eventually(async () => ((await other.settings.workspace('acme')).checkIntervalSeconds === 120 ? true : undefined));
  t.equal(seen, true, 'the other node once it heard the event');

  await send(kernel, 'PUT', '/api/v1/platform/settings', { headers: admin.headers, body: { settings: { tuning_probe: { enabled: false } } } });
  t.same(await probe.settings.platform(), { enabled: false });
  t.same(await probe.settings.workspace('globex'), { checkIntervalSeconds: 60, channels: [] }, 'other workspaces keep the defaults');
});

t.test('a plugin whose settings lack a default or are no object schema stays off, saying why', async (t) => {
  const broken = settingsProbePlugin('broken_probe');
  const manifest = {
    ...broken.manifest,
    settings: { workspace: { type: 'object', properties: { level: { type: 'integer', minimum: 0, maximum: 9 } } }, platform: { type: 'string' } },
  };
  const kernel = await startTestKernel(t, { plugins: [manifest] });
  const status = kernel.plugins.statuses().find((p) => p.id === 'broken_probe');
  t.equal(status?.state, 'failed');
  t.match(status?.error, /setting workspace\.level has no default/);
  t.match(status?.error, /settings\.platform must be a JSON schema of type object/);
});
