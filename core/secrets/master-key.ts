import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logging/logger.ts';
import { keyBytes, keyFingerprint } from './envelope.ts';

/** How to make a master key, for the messages that ask for one. */
export const masterKeyHint = 'generate one with `openssl rand -base64 32`';

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

/** 32 bytes in base64 or base64url (padding optional). */
export function parseMasterKey(text: string, name = 'ITOPS_MASTER_KEY'): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed.replaceAll('-', '+').replaceAll('_', '/'), 'base64') : Buffer.alloc(0);
  if (key.length !== keyBytes) throw new MasterKeyError(`${name} must be ${keyBytes} random bytes in base64 (${masterKeyHint})`);
  return key;
}

export const masterKeyFile = (dataDir: string) => path.join(dataDir, 'master-key');

/**
 * The master keys this node holds: the primary wraps every new data key; older ones (named by
 * ITOPS_MASTER_KEY_PREVIOUS during a rotation) only unwrap. Keys are found by fingerprint, which
 * is stored beside every wrapped data key.
 */
export class MasterKeyring {
  private readonly keys = new Map<string, Buffer>();
  private primaryId: string;

  constructor(
    primary: Buffer,
    previous: Buffer[] = [],
    /** The development key file: re-read when a key is asked for that this node does not hold (another process rotated it). */
    private readonly file?: string,
  ) {
    this.primaryId = keyFingerprint(primary);
    this.keys.set(this.primaryId, primary);
    for (const key of previous) this.keys.set(keyFingerprint(key), key);
  }

  get primary(): { id: string; key: Buffer } {
    return { id: this.primaryId, key: this.keys.get(this.primaryId) as Buffer };
  }

  get source(): 'configuration' | 'data directory' {
    return this.file ? 'data directory' : 'configuration';
  }

  /** The same keys with `key` as the primary: what a rotation wraps under, while the others still open. */
  withPrimary(key: Buffer): MasterKeyring {
    return new MasterKeyring(key, [...this.keys.values()], this.file);
  }

  /** The key with this fingerprint; throws, naming it, when this node does not hold it. */
  async key(id: string): Promise<Buffer> {
    const held = this.keys.get(id);
    if (held) return held;
    // Another process rotated the development key: it is in the key file, or (between the rotation's
    // commit and the file's replacement) in `master-key.next`.
    for (const file of this.file ? [this.file, `${this.file}.next`] : []) {
      if (!existsSync(file)) continue;
      const found = parseMasterKey(await readFile(file, 'utf8'), file);
      const foundId = keyFingerprint(found);
      this.keys.set(foundId, found);
      if (foundId === id) {
        if (file === this.file) this.primaryId = foundId;
        return found;
      }
    }
    throw new MasterKeyError(
      `a secret is wrapped by master key ${id}, which this node does not hold (its primary key is ${this.primaryId}); set that key as ITOPS_MASTER_KEY or in ITOPS_MASTER_KEY_PREVIOUS`,
    );
  }
}

/**
 * ITOPS_MASTER_KEY (plus ITOPS_MASTER_KEY_PREVIOUS), or outside production a key generated once
 * into the data directory (mode 0600) so development needs no configuration. Production without
 * a configured key refuses to start: a generated key would sit next to the data it protects.
 */
export async function resolveMasterKeyring(
  config: Pick<Config, 'env' | 'dataDir' | 'masterKey' | 'masterKeyPrevious'>,
  logger?: Logger,
): Promise<MasterKeyring> {
  const previous = config.masterKeyPrevious.map((text, i) => parseMasterKey(text, `ITOPS_MASTER_KEY_PREVIOUS (entry ${i + 1})`));
  if (config.masterKey) return new MasterKeyring(parseMasterKey(config.masterKey), previous);
  if (config.env === 'production') {
    throw new MasterKeyError(`ITOPS_MASTER_KEY is required when NODE_ENV=production: it encrypts the stored secrets (${masterKeyHint})`);
  }
  const file = masterKeyFile(config.dataDir);
  if (existsSync(file)) return new MasterKeyring(parseMasterKey(await readFile(file, 'utf8'), file), previous, file);
  const key = randomBytes(keyBytes);
  await writeMasterKeyFile(file, key);
  logger?.warn({ file }, 'generated a development master key for secrets; set ITOPS_MASTER_KEY in production');
  return new MasterKeyring(key, previous, file);
}

/** Writes the key file atomically with mode 0600 (a rename never leaves half a key behind). */
export async function writeMasterKeyFile(file: string, key: Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${key.toString('base64')}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}
