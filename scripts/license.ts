/**
 * `npm run license -- <command>`: issues license signing keys and licenses, and inspects tokens.
 * Results go to stdout (the public-key line, the token, the inspection); notes go to stderr.
 * Exit codes: 0 done, 1 failed (unreadable key, token refused), 2 bad arguments.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateLicenseKeyPair, readPrivateJwk, writePrivateJwk } from '../core/license/license-keys.ts';
import { decodeLicense, issueLicense, LicenseError, verifyLicense } from '../core/license/license-token.ts';

const usage = `Usage: npm run license -- <command> [options]

Commands:
  keygen --out <dir> [--force]
      Generate an Ed25519 license signing key: writes <dir>/license-private.jwk.json (mode 0600,
      keep it secret) and prints the ITOPS_LICENSE_PUBLIC_KEYS line for the servers that trust it.

  issue --key <license-private.jwk.json> --customer <name> --plugins <id,id,...|*>
        [--expires <ISO 8601 date>] [--edition <name>] [--development]
      Print a license token signed with that key (no --expires: it never expires).

  inspect <token|-> [--public-keys <key,key,...>]
      Print the token's header and claims ("-" reads the token from stdin); with --public-keys,
      whether it verifies and, if not, why.
`;

class UsageError extends Error {}

const privateKeyFileName = 'license-private.jwk.json';

/**
 * `--name value` as `--name=value` for options that take a value: a base64url key may begin with
 * "-", which parseArgs would otherwise take for an option (one key in 64 did).
 */
function joinValues(args: string[], options: Record<string, { type: 'string' | 'boolean' }>): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : undefined;
    const next = args[i + 1];
    const nextIsOption = next?.startsWith('--') && Object.hasOwn(options, next.slice(2).split('=')[0]);
    if (name && options[name]?.type === 'string' && next !== undefined && !nextIsOption) {
      joined.push(`--${name}=${next}`);
      i += 1;
    } else joined.push(args[i]);
  }
  return joined;
}

function parse<T extends Record<string, { type: 'string' | 'boolean' }>>(args: string[], options: T, positionals = 0) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: joinValues(args, options), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
  return parsed;
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value.trim();
}

async function keygen(args: string[]): Promise<number> {
  const { values } = parse(args, { out: { type: 'string' }, force: { type: 'boolean' } });
  const dir = path.resolve(required(values, 'out'));
  const file = path.join(dir, privateKeyFileName);
  if (existsSync(file) && !values.force) {
    process.stderr.write(`${file} already exists; pass --force to replace it (licenses signed with it stop verifying)\n`);
    return 1;
  }
  await mkdir(dir, { recursive: true });
  const { privateJwk, publicKey, keyId } = generateLicenseKeyPair();
  await writePrivateJwk(file, privateJwk, { exclusive: !values.force });
  process.stderr.write(`Wrote ${file} (mode 0600): keep it secret, it signs licenses.\nKey id: ${keyId}\nTrust it on every server with:\n`);
  process.stdout.write(`ITOPS_LICENSE_PUBLIC_KEYS=${publicKey}\n`);
  return 0;
}

async function issue(args: string[]): Promise<number> {
  const { values } = parse(args, {
    key: { type: 'string' },
    customer: { type: 'string' },
    plugins: { type: 'string' },
    expires: { type: 'string' },
    edition: { type: 'string' },
    development: { type: 'boolean' },
  });
  const keyFile = required(values, 'key');
  const customer = required(values, 'customer');
  const plugins = required(values, 'plugins')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (plugins.length === 0) throw new UsageError('--plugins needs at least one plugin id (or "*")');
  let expiresAt: Date | undefined;
  if (values.expires !== undefined) {
    expiresAt = new Date(values.expires);
    if (Number.isNaN(expiresAt.getTime())) throw new UsageError(`--expires "${values.expires}" is not a date (use ISO 8601, e.g. 2027-01-01T00:00:00Z)`);
    if (expiresAt.getTime() <= Date.now()) throw new UsageError(`--expires ${expiresAt.toISOString()} is in the past`);
  }
  if (values.edition !== undefined && values.edition.trim() === '') throw new UsageError('--edition must not be empty');
  const privateJwk = await readPrivateJwk(keyFile);
  const token = await issueLicense(privateJwk, { customer, plugins, expiresAt, edition: values.edition?.trim(), development: values.development });
  process.stdout.write(`${token}\n`);
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function inspect(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { 'public-keys': { type: 'string' } }, 1);
  if (positionals.length === 0) throw new UsageError('inspect needs a token (or "-" to read it from stdin)');
  const token = (positionals[0] === '-' ? await readStdin() : positionals[0]).trim();
  let decoded: ReturnType<typeof decodeLicense>;
  try {
    decoded = decodeLicense(token);
  } catch (error) {
    process.stderr.write(`Not a license token: ${(error as Error).message}\n`);
    return 1;
  }
  const { header, claims } = decoded;
  const date = (seconds: unknown) => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : undefined);
  const out = [
    `Header: ${JSON.stringify(header, null, 2)}`,
    `Claims: ${JSON.stringify(claims, null, 2)}`,
    `Issued: ${date(claims.iat) ?? 'unknown'}`,
    `Expires: ${date(claims.exp) ?? 'never'}`,
  ];
  const keys = (values['public-keys'] ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (values['public-keys'] === undefined) {
    out.push('Verification: skipped (pass --public-keys to check it)');
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  }
  if (keys.length === 0) throw new UsageError('--public-keys needs at least one key');
  try {
    const info = await verifyLicense(token, keys);
    out.push(`Verification: valid (customer "${info.customer}", plugins ${info.plugins.join(',')}, key ${info.keyId})`);
    process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof LicenseError)) throw error;
    out.push(`Verification: refused (${error.reason}): ${error.message}`);
    process.stdout.write(`${out.join('\n')}\n`);
    return 1;
  }
}

const commands: Record<string, (args: string[]) => Promise<number>> = { keygen, issue, inspect };

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(usage);
    return 0;
  }
  try {
    const run = command && Object.hasOwn(commands, command) ? commands[command] : undefined;
    if (!run) throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
    return await run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`license: ${error.message}\n\n${usage}`);
      return 2;
    }
    process.stderr.write(`license: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
