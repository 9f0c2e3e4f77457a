import t from 'tap';
import { call, startTestKernel } from '../plugin-api/testing.ts';
import { adminQuery } from '../testing/test-database.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';
import { freePort } from '../testing/free-port.ts';

t.test('readiness answers 503 in the standard format when the database is unreachable', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin] });
  const ready = await call(kernel, 'GET', '/ready');
  t.equal(ready.status, 200);
  t.same(ready.json, { status: 'ready', checks: { database: 'ok', jobs: 'ok' } });

  const name = new URL(kernel.database.url).pathname.slice(1);
  await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
  await adminQuery('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
  t.teardown(() => adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`));

  const down = await call(kernel, 'GET', '/ready');
  t.equal(down.status, 503);
  t.equal(down.json.error.code, 'unavailable');
  t.equal(down.json.error.details.database, 'unreachable');
  t.equal((await call(kernel, 'GET', '/health')).status, 200, 'liveness does not depend on the database');

  await adminQuery(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
  const back = await call(kernel, 'GET', '/ready');
  t.equal(back.status, 200, 'readiness recovers once the database is back');
});

t.test('graceful shutdown finishes an in-flight request and refuses new connections', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin] });
  const url = kernel.url;
  const inFlight = fetch(`${url}/api/v1/example/slow?ms=800`).then(async (r) => ({ status: r.status, body: await r.json() }));
  await new Promise((resolve) => setTimeout(resolve, 150));
  const stopped = kernel.stop();
  const answer = await inFlight;
  t.equal(answer.status, 200);
  t.same(answer.body, { waitedMs: 800 });
  await stopped;
  await t.rejects(fetch(`${url}/health`), 'the server no longer accepts connections');
});

t.test('SIGTERM to npm start finishes the request in flight, then stops the embedded database', async (t) => {
  const { spawn } = await import('node:child_process');
  const { mkdtemp, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-sigterm-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const dbPort = String(await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', 'core/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: '',
      ITOPS_PORT: '0',
      ITOPS_HOST: '127.0.0.1',
      ITOPS_DATA_DIR: dataDir,
      ITOPS_EMBEDDED_DB_PORT: dbPort,
      ITOPS_LOG_LEVEL: 'warn',
      ITOPS_PLUGINS: './core/testing/example-plugin',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1].replace('localhost', '127.0.0.1'));
    });
    child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${stderr}`)));
  });
  const inFlight = fetch(`${url}/api/v1/example/slow?ms=1500`).then(async (r) => ({ status: r.status, body: await r.json() }));
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.kill('SIGTERM');
  const answer = await inFlight;
  t.equal(answer.status, 200, 'the request in flight was answered');
  t.same(answer.body, { waitedMs: 1500 });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  t.equal(code, 0, 'a clean exit');
  t.notMatch(stderr, /job queue error|terminating connection/, 'the database outlived every client');
});
