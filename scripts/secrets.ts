/**
 * `npm run secrets -- rotate-master-key`: re-wraps every secret's data key under a new master key,
 * in one transaction; the values' ciphertexts are not touched.
 *
 * - Development (no ITOPS_MASTER_KEY): a new key is generated and replaces the key file in the data
 *   directory once the transaction committed (running nodes pick it up when they meet it).
 * - ITOPS_MASTER_KEY set: every data key is re-wrapped under ITOPS_MASTER_KEY, opened with the keys in
 *   ITOPS_MASTER_KEY_PREVIOUS. To rotate: give every node the new key as ITOPS_MASTER_KEY and the old
 *   one in ITOPS_MASTER_KEY_PREVIOUS, run this, then drop ITOPS_MASTER_KEY_PREVIOUS.
 *   `--generate` prints a fresh key to use as the new ITOPS_MASTER_KEY.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, loadConfig } from '../core/config/config.ts';
import { Database } from '../core/db/database.ts';
import { ensureDatabase, startEmbeddedPostgres, withDatabase } from '../core/db/embedded-postgres.ts';
import { EventOutbox } from '../core/events/event-outbox.ts';
import { createLogger } from '../core/logging/logger.ts';
import { keyBytes, keyFingerprint } from '../core/secrets/envelope.ts';
import { MasterKeyError, masterKeyFile, resolveMasterKeyring, writeMasterKeyFile } from '../core/secrets/master-key.ts';
import { rewrapAll } from '../core/secrets/master-key-rotation.ts';
import { secretEventTopics } from '../core/secrets/secret-topics.ts';
import { AjvSchemaValidator } from '../core/validation/schema-validator.ts';

const usage = `usage: npm run secrets -- rotate-master-key
       npm run secrets -- rotate-master-key --generate   (print a new key to configure as ITOPS_MASTER_KEY)`;

const [command, ...flags] = process.argv.slice(2);
try {
  if (command !== 'rotate-master-key') throw new ConfigError([usage]);
  if (flags.includes('--generate')) {
    process.stdout.write(`${randomBytes(keyBytes).toString('base64')}\n`);
    process.exit(0);
  }
  const { config } = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const keyring = await resolveMasterKeyring(config);
  // Development: a new key, kept beside the old one (`master-key.next`) until the new one replaced it.
  const fromFile = keyring.source === 'data directory';
  const target = fromFile ? randomBytes(keyBytes) : keyring.primary.key;
  const readers = fromFile ? keyring.withPrimary(target) : keyring;
  const pending = `${masterKeyFile(config.dataDir)}.next`;
  if (fromFile) await writeMasterKeyFile(pending, target);
  let replaced = !fromFile;

  let url = config.databaseUrl;
  let stop = async () => {};
  if (!url) {
    const embedded = await startEmbeddedPostgres({
      dir: path.join(config.dataDir, 'postgres'),
      port: config.embeddedDbPort,
      logger,
      walLevel: config.embeddedDbWalLevel,
    });
    stop = embedded.stop;
    await ensureDatabase(embedded.url, 'itops');
    url = withDatabase(embedded.url, 'itops');
  }
  const database = new Database(url, 2, logger);
  try {
    const outbox = new EventOutbox((topic) => secretEventTopics.find((d) => d.topic === topic), new AjvSchemaValidator());
    const to = { id: keyFingerprint(target), key: target };
    const { rewrapped, from } = await rewrapAll(database.platform, readers, to, outbox).catch(async (error: unknown) => {
      // Nothing committed: the old key still opens everything.
      replaced = true;
      throw error;
    });
    if (fromFile) {
      await writeMasterKeyFile(masterKeyFile(config.dataDir), target);
      replaced = true;
    }
    process.stdout.write(
      `re-wrapped ${rewrapped} data key${rewrapped === 1 ? '' : 's'}${from.length ? ` from ${from.join(', ')}` : ''} under master key ${to.id}` +
        `${fromFile ? ` (new key in ${masterKeyFile(config.dataDir)})` : ''}\n`,
    );
  } finally {
    // Committed but not yet in place: master-key.next stays, and the keyring reads it (master-key.ts).
    if (replaced) await rm(pending, { force: true });
    await database.close();
    await stop();
  }
} catch (error) {
  const known = error instanceof ConfigError || error instanceof MasterKeyError;
  process.stderr.write(`${known ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
}
