import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { verifyLicense } from '../core/license/license-token.ts';

const script = fileURLToPath(new URL('./license.ts', import.meta.url));
// Resolved here: the CLI runs from a scratch directory, where a bare `tsx` would not resolve.
const tsx = import.meta.resolve('tsx');

/** Runs the CLI as `npm run license` does (tsx), from a scratch directory. */
function cli(cwd: string, args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsx, script, ...args], { cwd, env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const work = await mkdtemp(path.join(os.tmpdir(), 'itops-license-cli-'));
t.teardown(() => rm(work, { recursive: true, force: true }));

let publicKey = '';
const keyFile = path.join(work, 'keys', 'license-private.jwk.json');

t.test('keygen writes a private JWK (0600) and prints the public-key line', async (t) => {
  const run = await cli(work, ['keygen', '--out', 'keys']);
  t.equal(run.code, 0, run.stderr);
  const match = /^ITOPS_LICENSE_PUBLIC_KEYS=([A-Za-z0-9_-]{43})\n$/.exec(run.stdout);
  t.ok(match, `stdout is the line to configure: ${run.stdout}`);
  publicKey = match?.[1] ?? '';
  t.equal(statSync(keyFile).mode & 0o777, 0o600);
  t.match(JSON.parse(readFileSync(keyFile, 'utf8')), { kty: 'OKP', crv: 'Ed25519', x: publicKey, d: String });
  t.match(run.stderr, /keep it secret/);

  const again = await cli(work, ['keygen', '--out', 'keys']);
  t.equal(again.code, 1, 'an existing key is not overwritten');
  t.match(again.stderr, /already exists; pass --force/);
  t.equal(JSON.parse(readFileSync(keyFile, 'utf8')).x, publicKey);
});

t.test('issue prints a token that verifies with the printed key; inspect explains it', async (t) => {
  const run = await cli(work, ['issue', '--key', keyFile, '--customer', 'ACME', '--plugins', 'sla, ticketing', '--expires', '2099-01-01T00:00:00Z']);
  t.equal(run.code, 0, run.stderr);
  const token = run.stdout.trim();
  t.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  const info = await verifyLicense(token, [publicKey]);
  t.match(info, { customer: 'ACME', plugins: ['sla', 'ticketing'], edition: 'enterprise', expiresAt: new Date('2099-01-01T00:00:00Z'), development: false });

  const ok = await cli(work, ['inspect', token, '--public-keys', publicKey]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /"alg": "EdDSA"/);
  t.match(ok.stdout, /"sub": "ACME"/);
  t.match(ok.stdout, /Expires: 2099-01-01T00:00:00.000Z/);
  t.match(ok.stdout, /Verification: valid \(customer "ACME", plugins sla,ticketing/);

  const unchecked = await cli(work, ['inspect', '-'], `${token}\n`);
  t.equal(unchecked.code, 0, unchecked.stderr);
  t.match(unchecked.stdout, /Verification: skipped/);

  const other = await cli(work, ['keygen', '--out', 'other']);
  const otherKey = other.stdout.trim().split('=')[1];
  const refused = await cli(work, ['inspect', token, '--public-keys', otherKey]);
  t.equal(refused.code, 1);
  t.match(refused.stdout, /Verification: refused \(untrusted\): license was signed by key/);

  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const tampered = [header, Buffer.from(JSON.stringify({ ...claims, plugins: ['*'] })).toString('base64url'), signature].join('.');
  const forged = await cli(work, ['inspect', tampered, '--public-keys', `${otherKey},${publicKey}`]);
  t.equal(forged.code, 1);
  t.match(forged.stdout, /Verification: refused \(forged\)/);

  // A base64url key may begin with "-" (one in 64 does): it is the option's value, not an option.
  const dashed = await cli(work, ['inspect', token, '--public-keys', `-${otherKey.slice(1)}`]);
  t.notMatch(dashed.stderr, /ambiguous|Usage/);
  t.match(dashed.stdout, /Verification: refused/);

  const garbage = await cli(work, ['inspect', 'not-a-token']);
  t.equal(garbage.code, 1);
  t.match(garbage.stderr, /Not a license token/);
});

t.test('issue takes a wildcard, an edition and the development flag; no --expires means no expiry', async (t) => {
  const run = await cli(work, ['issue', '--key', keyFile, '--customer', 'Lab', '--plugins', '*', '--edition', 'lab', '--development']);
  t.equal(run.code, 0, run.stderr);
  const info = await verifyLicense(run.stdout.trim(), [publicKey]);
  t.match(info, { customer: 'Lab', plugins: ['*'], edition: 'lab', development: true });
  t.equal(info.expiresAt, undefined);
});

t.test('bad arguments print the usage and exit 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /no command given/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['keygen'], /--out is required/],
    [['keygen', '--out', 'x', '--bogus'], /Unknown option '--bogus'/],
    [['issue', '--key', keyFile, '--plugins', 'sla'], /--customer is required/],
    [['issue', '--key', keyFile, '--customer', 'ACME'], /--plugins is required/],
    [['issue', '--key', keyFile, '--customer', 'ACME', '--plugins', ' , '], /--plugins needs at least one plugin id/],
    [['issue', '--key', keyFile, '--customer', 'ACME', '--plugins', 'sla', '--expires', 'next tuesday'], /--expires "next tuesday" is not a date/],
    [['issue', '--key', keyFile, '--customer', 'ACME', '--plugins', 'sla', '--expires', '2001-01-01'], /--expires 2001-01-01T00:00:00.000Z is in the past/],
    [['inspect'], /inspect needs a token/],
    [['inspect', 'a', 'b'], /unexpected argument "b"/],
  ];
  for (const [args, message] of cases) {
    const run = await cli(work, args);
    t.equal(run.code, 2, `license ${args.join(' ')} exits 2`);
    t.match(run.stderr, message);
    t.match(run.stderr, /Usage: npm run license -- <command>/);
    t.equal(run.stdout, '');
  }
  const missingKey = await cli(work, ['issue', '--key', 'nope.json', '--customer', 'ACME', '--plugins', 'sla']);
  t.equal(missingKey.code, 1, 'an unreadable key file is a failure, not a usage error');
  t.match(missingKey.stderr, /nope\.json/);
  const help = await cli(work, ['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /keygen --out <dir>/);
});
