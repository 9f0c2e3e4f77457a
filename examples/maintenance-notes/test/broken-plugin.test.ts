import assert from 'node:assert/strict';
import { test } from 'node:test';
import { definePlugin } from 'itops/plugin-api';
import { startTestServer } from 'itops/plugin-api/testing';
import notes from '../plugin.ts';

test('a broken plugin is left off with its reason and the server stays up', async (t) => {
  // Its contract names operations that init never handles.
  const badContract = definePlugin({ ...notes, init: () => {} });
  const badMigration = definePlugin({
    id: 'notesmigration',
    version: '1.0.0',
    host: '>=0.1.0 <1.0.0',
    migrations: [{ name: '0001-broken', up: 'CREATE TABLE broken_note (id int REFERENCES no_such_table (id))' }],
    init: () => {},
  });
  const hangs = definePlugin({ id: 'noteshang', version: '1.0.0', host: '>=0.1.0 <1.0.0', init: () => new Promise(() => {}) });
  const server = await startTestServer(t, { plugins: [badContract, badMigration, hangs], pluginInitTimeoutMs: 500 });

  assert.equal((await server.call('GET', '/health')).status, 200);
  const states = Object.fromEntries((await server.plugins()).map((p) => [p.id, p]));
  assert.equal(states.notes.state, 'failed');
  assert.match(states.notes.error ?? '', /operation notesCreate has no handler/);
  assert.equal(states.notesmigration.state, 'failed');
  assert.match(states.notesmigration.error ?? '', /migration notesmigration\/0001-broken failed/);
  assert.equal(states.noteshang.state, 'failed');
  assert.match(states.noteshang.error ?? '', /init did not finish within 500 ms/);
});

test('a bad configuration value leaves the plugin off, naming the variable', async (t) => {
  const server = await startTestServer(t, { plugins: [notes], env: { ITOPS_NOTES_RETENTION_DAYS: '0' } });
  const state = (await server.plugins()).find((p) => p.id === 'notes');
  assert.equal(state?.state, 'failed');
  assert.match(state?.error ?? '', /ITOPS_NOTES_RETENTION_DAYS/);
  assert.equal((await server.call('GET', '/health')).status, 200);
});
