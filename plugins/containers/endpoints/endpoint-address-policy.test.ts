import t from 'tap';
import { checkAddressVerdict, literalHostProblem, parsePrivateNetworks, resolveCheckTarget } from './endpoint-address-policy.ts';

const policy = (networks: string[] = [], more = {}) => ({ privateNetworks: parsePrivateNetworks(networks), hostAllowlist: [], allowPrivate: false, ...more });

t.test('public addresses pass; private ones only inside an opened network of the workspace', async (t) => {
  const none = policy();
  t.same(checkAddressVerdict(none, 'acme', '93.184.215.14'), { allowed: true });
  t.same(checkAddressVerdict(none, 'acme', '2606:4700::6810:84e5'), { allowed: true });
  for (const address of [
    '127.0.0.1',
    '10.1.2.3',
    '192.168.0.10',
    '172.16.5.5',
    '169.254.169.254',
    '100.64.0.1',
    '::1',
    'fd00::1',
    'fe80::1',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
  ]) {
    t.match(checkAddressVerdict(none, 'acme', address), { allowed: false, reason: /private address .*ITOPS_CONTAINERS_ENDPOINT_PRIVATE_NETWORKS/ }, address);
  }
  const opened = policy(['10.0.0.0/8', 'acme=192.168.0.0/16', 'fd00::/8']);
  t.same(checkAddressVerdict(opened, 'globex', '10.1.2.3'), { allowed: true }, 'for every workspace');
  t.same(checkAddressVerdict(opened, 'globex', '::ffff:10.1.2.3'), { allowed: true }, 'an IPv4-mapped address is judged as IPv4');
  t.same(checkAddressVerdict(opened, 'acme', '192.168.1.1'), { allowed: true });
  t.match(checkAddressVerdict(opened, 'globex', '192.168.1.1'), { allowed: false }, 'only for acme');
  t.same(checkAddressVerdict(opened, 'acme', 'fd00::5'), { allowed: true });
  t.match(checkAddressVerdict(opened, 'acme', '169.254.169.254'), { allowed: false }, 'metadata stays closed');
  const everything = policy(['0.0.0.0/0']);
  for (const address of ['0.0.0.0', '255.255.255.255', '224.0.0.1', '::']) {
    t.match(checkAddressVerdict(everything, 'acme', address), { allowed: false, reason: /unspecified|broadcast|multicast/ }, `${address} never`);
  }
  t.same(checkAddressVerdict(policy([], { allowPrivate: true }), 'acme', '10.0.0.1'), { allowed: true }, 'the development switch');
});

t.test('bad entries fail with one message naming them', async (t) => {
  t.throws(() => parsePrivateNetworks(['10.0.0.0/8', '10.0.0.0', 'acme=', '=10.0.0.0/8', 'x=999.0.0.0/8']), {
    message: 'ITOPS_CONTAINERS_ENDPOINT_PRIVATE_NETWORKS: not a CIDR range or workspace=CIDR: 10.0.0.0, acme=, =10.0.0.0/8, x=999.0.0.0/8',
  });
});

t.test('resolving: every address checked, the allowlist skips the check, literal hosts judged up front', async (t) => {
  const resolve = async (host: string) => (host === 'mixed.test' ? ['93.184.215.14', '10.0.0.5'] : host === 'none.test' ? [] : ['10.0.0.5']);
  await t.rejects(resolveCheckTarget(policy([], { resolve }), 'acme', 'mixed.test'), {
    name: 'CheckBlockedError',
    message: /mixed\.test is not allowed: 10\.0\.0\.5/,
  });
  t.equal(await resolveCheckTarget(policy(['10.0.0.0/24'], { resolve }), 'acme', 'mixed.test'), '93.184.215.14');
  t.equal(await resolveCheckTarget(policy([], { resolve, hostAllowlist: ['DB.internal'] }), 'acme', 'db.internal'), '10.0.0.5');
  await t.rejects(resolveCheckTarget(policy([], { resolve }), 'acme', 'none.test'), { message: 'none.test has no address' });
  await t.rejects(resolveCheckTarget(policy([], { resolve: async () => Promise.reject(new Error('ENOTFOUND')) }), 'acme', 'gone.test'), {
    message: 'gone.test could not be resolved',
  });
  t.equal(await resolveCheckTarget(policy(['::1/128']), 'acme', '[::1]'), '::1');
  t.match(literalHostProblem(policy(), 'acme', '127.0.0.1'), /loopback/);
  t.equal(literalHostProblem(policy(['127.0.0.0/8']), 'acme', '127.0.0.1'), null);
  t.equal(literalHostProblem(policy(), 'acme', 'db.internal'), null, 'names are judged when checked');
});

t.test('IPv6 forms embedding an IPv4 address: IPv4-compatible, Teredo and local-use NAT64 never checked, the rest judged by the address inside', async (t) => {
  const loopbackOpen = policy(['127.0.0.0/8', '169.254.0.0/16', '10.0.0.0/8']);
  for (const address of [
    '::7f00:1',
    '::a9fe:a9fe',
    '::127.0.0.1',
    '::169.254.169.254',
    '::a00:1',
    '::8.8.8.8',
    '2001:0:4136:e378:8000:63bf:80ff:fffe',
    '64:ff9b:1::7f00:1',
  ]) {
    t.match(
      checkAddressVerdict(loopbackOpen, 'acme', address),
      { allowed: false, reason: /never checked \((IPv4-compatible|Teredo|local-use NAT64)\)/ },
      address,
    );
  }
  for (const address of [
    '::ffff:0:7f00:1',
    '2002:7f00:1::1',
    '2002:a9fe:a9fe::1',
    '64:ff9b::a9fe:a9fe',
    '2606:4700::200:5efe:7f00:1',
    '2606:4700::5efe:a00:1',
  ]) {
    t.match(checkAddressVerdict(policy(), 'acme', address), { allowed: false }, `${address} is judged by its embedded address`);
  }
  t.same(checkAddressVerdict(loopbackOpen, 'acme', '2002:a00:1::1'), { allowed: true }, '6to4 of an opened private address, as the address itself');
  t.same(checkAddressVerdict(policy(), 'acme', '2002:5db8:d70e::1'), { allowed: true }, '6to4 of a public address');
  t.match(literalHostProblem(loopbackOpen, 'acme', '[::7f00:1]'), /IPv4-compatible/);
});
