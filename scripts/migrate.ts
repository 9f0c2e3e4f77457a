/** `npm run migrate`: applies pending migrations to the configured database and exits. */
import path from 'node:path';
import { ConfigError, loadConfig } from '../core/config/config.ts';
import { Database } from '../core/db/database.ts';
import { migrate } from '../core/db/sql-migrator.ts';
import { pluginMigrations } from '../core/kernel/plugin-migrations.ts';
import { ensureDatabase, startEmbeddedPostgres, withDatabase } from '../core/db/embedded-postgres.ts';
import { createLogger } from '../core/logging/logger.ts';
import { discoverConfigured, discoverFirstParty } from '../core/kernel/plugin-discovery.ts';
import type { PluginManifest } from '../core/plugin-api/index.ts';
import { migrations } from '../migrations/index.ts';

try {
  const { config } = loadConfig();
  const logger = createLogger(config.logLevel);
  const discovered = [...(await discoverFirstParty(path.resolve('plugins'))), ...(await discoverConfigured(config.plugins))];
  // The server leaves a plugin that cannot be imported off; migrating the database must not skip it silently.
  const broken = discovered.filter((d) => d.error);
  if (broken.length > 0) throw new Error(broken.map((d) => `${d.source}: ${d.error}`).join('\n'));
  const manifests = discovered.map((d) => d.manifest as PluginManifest);
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
  const applied = await migrate(database.platform, '', migrations);
  for (const manifest of manifests) applied.push(...(await migrate(database.platform, manifest.id, pluginMigrations(manifest))));
  process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'the database is up to date\n');
  await database.close();
  await stop();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String((error as Error).stack ?? error)}\n`);
  process.exit(1);
}
