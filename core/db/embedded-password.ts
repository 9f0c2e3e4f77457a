import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logging/logger.ts';

/**
 * What every cluster was initialised with before each data directory had its own password. A
 * cluster still on it is moved to a fresh one at its first start (ALTER ROLE): the constant is in
 * the source, so anyone who can reach the port could log in as superuser.
 */
export const legacyPassword = 'itops-embedded';

/** Kept in the cluster's folder, readable by its owner only. */
const passwordFile = 'itops-superuser.password';

/**
 * The superuser password of the cluster under `dir`: the one kept there, else a new one written
 * there first (0600), so a start interrupted while rotating still finds the password it moves to.
 */
export async function clusterPassword(dir: string): Promise<string> {
  const file = path.join(dir, passwordFile);
  const kept = (await fs.readFile(file, 'utf8').catch(() => '')).trim();
  if (kept) return kept;
  const password = newPassword();
  await writePrivately(file, password);
  return password;
}

/** Keeps a fresh cluster's password beside it (initdb wants an empty folder, so this comes after). */
export async function keepPassword(dir: string, password: string): Promise<void> {
  await writePrivately(path.join(dir, passwordFile), password);
}

export function newPassword(): string {
  return randomBytes(24).toString('hex');
}

async function writePrivately(file: string, password: string): Promise<void> {
  await fs.writeFile(`${file}.tmp`, `${password}\n`, { mode: 0o600 });
  await fs.rename(`${file}.tmp`, file);
}

/**
 * Checks the running cluster accepts `password`; if it still takes the legacy constant instead, the
 * superuser is moved to `password`. Anything else (a password changed by hand) is an error that
 * says where the password is kept.
 */
export async function adoptPassword(options: { port: number; password: string; dir: string; logger: Logger }): Promise<void> {
  const { default: pg } = await import('pg');
  const connect = async (password: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port: options.port, user: 'postgres', password, database: 'postgres' });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      if ((error as { code?: string }).code === '28P01') return undefined;
      throw error;
    }
  };
  const current = await connect(options.password);
  if (current) {
    await current.end();
    return;
  }
  const legacy = await connect(legacyPassword);
  if (!legacy) {
    throw new Error(`the embedded PostgreSQL superuser does not accept the password kept in ${path.join(options.dir, passwordFile)}`);
  }
  try {
    await legacy.query(`ALTER ROLE postgres PASSWORD ${legacy.escapeLiteral(options.password)}`);
    options.logger.info({ dir: options.dir }, 'embedded PostgreSQL superuser moved from the built-in password to its own');
  } finally {
    await legacy.end();
  }
}
