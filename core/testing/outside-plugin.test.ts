import { existsSync } from 'node:fs';
import t from 'tap';
import { startServerProcess } from './server-process.ts';
import { cloneTestDatabase } from './test-database.ts';

const folder = './examples/maintenance-notes';

/**
 * The example third-party plugin, in a folder of its own with its own package.json (the host as a
 * dependency by name), loads into a real server process through ITOPS_PLUGINS as an operator would
 * load it: its migration runs, its route answers, and the server reports it loaded.
 */
t.test(
  'a plugin outside plugins/ loads into a real server through ITOPS_PLUGINS',
  { skip: !existsSync(`${folder}/node_modules/itops`) && `install it first: npm ci --prefix ${folder}` },
  async (t) => {
    const database = await cloneTestDatabase();
    t.teardown(() => database.drop());
    const server = await startServerProcess(t, { DATABASE_URL: database.url, ITOPS_PLUGINS: folder });
    const status = await fetch(`${server.url}/.well-known/engine-status`).then((r) => r.json() as Promise<{ plugins: { id: string; state: string }[] }>);
    t.match(
      status.plugins.find((p) => p.id === 'notes'),
      { state: 'loaded' },
    );
    t.equal((await fetch(`${server.url}/api/v1/maintenance-notes`)).status, 401, 'its route is served and guarded');
  },
);
