import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createContainersPlugin } from '../../plugins/containers/plugin.ts';
import { startTestServer } from '../../core/plugin-api/testing.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs a command; resolves with its exit code and output (never rejects, so the output shows in the
 * assertion). Through `env -u NODE_OPTIONS`: tap's process tracking puts its loaders into
 * NODE_OPTIONS of every child, and these children must run on Node as a user's would.
 */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('env', ['-u', 'NODE_OPTIONS', command, ...args], { cwd: repoRoot, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

// "Done means" of the SDK issue: the script builds on the published shape of the package (its
// dist, through its exports), passes tsc --strict, and runs on Node itself, without tsx.
t.test('the end-to-end script: built SDK, tsc --strict, plain Node, against a live server', async (t) => {
  const build = await run('npm', ['run', 'build', '--workspace', '@itops/sdk']);
  t.equal(build.code, 0, `the SDK builds\n${build.output}`);
  // NODE_OPTIONS cleared: the script (and tsc) must run without the tsx loader this test runs under.
  const plain = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR };
  const typecheck = await run(
    process.execPath,
    [fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'sdk/e2e/tsconfig.json'],
    plain,
  );
  t.equal(typecheck.code, 0, `tsc --strict passes on the script\n${typecheck.output}`);

  const server = await startTestServer(t, { plugins: [createContainersPlugin()] });
  await server.activateLicense({ plugins: ['containers'] });
  t.match(await server.plugins(), [{ id: 'containers', state: 'loaded' }], 'the containers plugin (heartbeats) is loaded');
  const env = { ...plain, ITOPS_URL: server.url, ITOPS_ADMIN_TOKEN: server.admin.token };
  const script = await run(process.execPath, ['sdk/e2e/done-means.ts'], env);
  t.equal(script.code, 0, script.output);
  t.match(script.output, /^done$/m, 'every step passed');
});
