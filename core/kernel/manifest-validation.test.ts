import t from 'tap';
import { validateManifest } from './manifest-validation.ts';

const valid = { id: 'sample', version: '1.2.3', host: '^0.1.0', init() {} };

t.test('a well-formed manifest has no problems', async (t) => {
  t.same(validateManifest(valid, '0.1.0', 'test'), []);
});

t.test('shape problems are reported with where they are', async (t) => {
  const problems = validateManifest({ id: 'Bad Id', version: '1', host: '*' }, '0.1.0', 'plugins/bad/plugin.ts');
  t.ok(problems.some((p) => p.includes('plugins/bad/plugin.ts') && p.includes('/id')));
  t.ok(problems.some((p) => p.includes("must have required property 'init'")));
  t.same(validateManifest(undefined, '0.1.0', 'x'), ['x: / must be object']);
});

t.test('semantic problems: version, host range, self-requirement, policies, duplicates, task modules', async (t) => {
  const problems = validateManifest(
    {
      ...valid,
      version: 'one',
      host: '>=2.0.0',
      requires: ['sample'],
      permissions: [{ name: 'sample:read', description: 'r' }],
      policies: [{ role: 'viewer', permission: 'sample:write' }],
      jobs: [{ name: 'tick' }, { name: 'tick' }],
      workerTasks: [{ name: 'score', module: './score.ts' }],
    },
    '0.1.0',
    'test',
  );
  t.match(problems.join('\n'), /version "one" is not semver/);
  t.match(problems.join('\n'), /supports host >=2.0.0, but this host is 0.1.0/);
  t.match(problems.join('\n'), /requires itself/);
  t.match(problems.join('\n'), /policy grants "sample:write", which the manifest does not declare/);
  t.match(problems.join('\n'), /job "tick" is declared twice/);
  t.match(problems.join('\n'), /worker task score module must be a URL/);
});

t.test('job schedules and permission names are checked', async (t) => {
  const problems = (manifest: object) => validateManifest({ ...valid, ...manifest }, '0.1.0', 'test').join('\n');
  t.match(problems({ jobs: [{ name: 'nightly', schedule: 'every night' }] }), /\/jobs\/0\/schedule/);
  t.match(problems({ permissions: [{ name: 'Sample.Read', description: 'x' }] }), /permission "Sample.Read" must be named sample\[.<resource>\]:<action>/);
});

t.test('one naming rule: ids, jobs, permissions and topics belong to the plugin', async (t) => {
  const problems = (manifest: object) => validateManifest({ ...valid, ...manifest }, '0.1.0', 'test').join('\n');
  t.match(problems({ id: 'my-plugin' }), /\/id must match pattern/, 'an id is one word: no dashes');
  t.match(problems({ jobs: [{ name: 'nightly-report' }] }), /\/jobs\/0\/name must match pattern/, 'job names use the same alphabet');
  t.match(
    problems({ permissions: [{ name: 'heartbeats:read', description: 'r' }] }),
    /permission "heartbeats:read" must be named sample/,
    'a permission outside the plugin',
  );
  t.equal(
    problems({
      permissions: [
        { name: 'sample:read', description: 'r' },
        { name: 'sample.notes:write', description: 'w' },
      ],
    }),
    '',
  );
  t.match(problems({ events: [{ topic: 'heartbeat.pinged' }] }), /topic "heartbeat.pinged" must start with "sample."/, 'a topic outside the plugin');
  t.equal(problems({ events: [{ topic: 'sample.done' }] }), '', 'its own namespace');
  t.equal(
    problems({ topicNamespaces: ['heartbeat'], events: [{ topic: 'heartbeat.pinged' }, { topic: 'heartbeat:late' }] }),
    '',
    'a namespace fixed by the contract, mapped',
  );
});

t.test('a policy for a role that does not exist is refused, naming it', async (t) => {
  const problems = validateManifest(
    { ...valid, permissions: [{ name: 'sample:read', description: 'r' }], policies: [{ role: 'viewr', permission: 'sample:read' }] },
    '0.1.0',
    'test',
  );
  t.match(problems.join('\n'), /policy names the role "viewr", which is not one of platform_admin, msp_admin/);
});
