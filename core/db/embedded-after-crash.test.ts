import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { freePort } from '../testing/free-port.ts';
import { startServerProcess } from '../testing/server-process.ts';

t.test('a server killed with SIGKILL leaves its PostgreSQL running, and the next start comes up anyway', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-crash-'));
  if (os.userInfo().uid === 0) await chmod(dataDir, 0o755);
  const env = { ITOPS_DATA_DIR: dataDir, ITOPS_EMBEDDED_DB_PORT: String(await freePort()), DATABASE_URL: '' };
  t.teardown(async () => {
    // Whatever postmaster is left (the test failed half-way): gone with its folder.
    const pid = Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    if (pid) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {}
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  const first = await startServerProcess(t, env, { startTimeoutMs: 120_000 });
  t.equal((await fetch(`${first.url}/ready`)).status, 200);
  const postmaster = Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  first.child.kill('SIGKILL');
  await first.stop();
  t.doesNotThrow(() => process.kill(postmaster, 0), 'the killed server’s PostgreSQL is still running');

  const second = await startServerProcess(t, env, { startTimeoutMs: 120_000 });
  t.equal((await fetch(`${second.url}/ready`)).status, 200, 'the next start is ready');
  t.equal(await second.stop(), 0, 'and stops cleanly, its database with it');
});
