import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlatformEvent } from 'itops/plugin-api';
import { eventually, startTestServer } from 'itops/plugin-api/testing';
import notes from '../plugin.ts';

const graphql = '{ maintenanceNotes { title author } }';

test('an ops engineer leaves a note: viewers read it over REST and GraphQL, and notes.created follows the commit', async (t) => {
  const server = await startTestServer(t, { plugins: [notes] });
  const [ops, viewer] = [await server.loginAs('ops_engineer'), await server.loginAs('viewer')];
  const events: PlatformEvent[] = [];
  server.onEvent((event) => event.topic === 'notes.created' && events.push(event));

  const created = await server.call('POST', '/api/v1/maintenance-notes', { headers: ops.headers, body: { title: 'Patch window', body: 'Sunday 02:00 UTC' } });
  assert.equal(created.status, 201);
  assert.equal(created.json.author, ops.email);

  const listed = await server.call('GET', '/api/v1/maintenance-notes', { headers: viewer.headers });
  assert.equal(listed.status, 200);
  assert.deepEqual(
    listed.json.data.map((note: { title: string }) => note.title),
    ['Patch window'],
  );
  const viaGraphql = await server.call('POST', '/graphql', { headers: viewer.headers, body: { query: graphql } });
  assert.deepEqual(viaGraphql.json.data, { maintenanceNotes: [{ title: 'Patch window', author: ops.email }] });

  const event = await eventually(() => events.find((e) => (e.payload as { id: string }).id === created.json.id));
  assert.equal(event?.tenantId, 'acme', 'the event carries the workspace of the note');
});

test('refused without sign-in and without the permission; another workspace sees nothing', async (t) => {
  const server = await startTestServer(t, { plugins: [notes] });
  const [ops, viewer, stranger] = [await server.loginAs('ops_engineer'), await server.loginAs('viewer'), await server.loginAs('ops_engineer', 'globex')];
  assert.equal((await server.call('POST', '/api/v1/maintenance-notes', { headers: ops.headers, body: { title: 'Acme only' } })).status, 201);

  assert.equal((await server.call('GET', '/api/v1/maintenance-notes')).status, 401);
  const forbidden = await server.call('POST', '/api/v1/maintenance-notes', { headers: viewer.headers, body: { title: 'Not mine to write' } });
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.json.error.code, 'forbidden');
  const anonymous = await server.call('POST', '/graphql', { body: { query: graphql } });
  assert.equal(anonymous.json.data, null);

  assert.deepEqual((await server.call('GET', '/api/v1/maintenance-notes', { headers: stranger.headers })).json.data, []);
  assert.deepEqual((await server.call('POST', '/graphql', { headers: stranger.headers, body: { query: graphql } })).json.data, { maintenanceNotes: [] });
  // Row-level security, not the plugin's SQL, keeps workspaces apart: a query without WHERE sees one tenant.
  assert.deepEqual(await server.database.forTenant('globex').query('SELECT title FROM maintenance_note'), []);
  assert.equal((await server.database.forTenant('acme').query('SELECT title FROM maintenance_note')).length, 1);
});

test('the plugin unloads with its license and comes back, notes kept, with a license that names it', async (t) => {
  const server = await startTestServer(t, { plugins: [notes] });
  const ops = await server.loginAs('ops_engineer');
  assert.equal((await server.call('POST', '/api/v1/maintenance-notes', { headers: ops.headers, body: { title: 'Before' } })).status, 201);

  await server.activateLicense({ plugins: ['some_other_plugin'] });
  assert.equal((await server.call('GET', '/api/v1/maintenance-notes', { headers: ops.headers })).status, 404);
  assert.match((await server.call('POST', '/graphql', { headers: ops.headers, body: { query: graphql } })).json.errors[0].message, /maintenanceNotes/);
  assert.deepEqual(
    (await server.plugins()).find((p) => p.id === 'notes'),
    { id: 'notes', licensed: false, state: 'unlicensed', error: 'not included in the license' },
  );

  await server.activateLicense({ plugins: ['notes'] });
  const back = await server.call('GET', '/api/v1/maintenance-notes', { headers: ops.headers });
  assert.equal(back.status, 200);
  assert.deepEqual(
    back.json.data.map((note: { title: string }) => note.title),
    ['Before'],
  );
});

test('the console lists its page, with a form built from notesCreate for those who may write', async (t) => {
  const server = await startTestServer(t, { plugins: [notes] });
  const viewer = await server.loginAs('viewer');
  const pages = await server.call('GET', '/api/v1/console/pages', { headers: viewer.headers });
  const page = pages.json.data.find((p: { plugin: string }) => p.plugin === 'notes');
  assert.equal(page.title, 'Maintenance notes');
  assert.equal(page.create.permission, 'notes:write');
  assert.deepEqual(page.create.schema.required, ['title']);
});
