import path from 'node:path';
import { migrations as coreMigrations } from '../../../migrations/index.ts';
import type { Config } from '../../config/config.ts';
import { Database } from '../../db/database.ts';
import { ensureDatabase, startEmbeddedPostgres, withDatabase } from '../../db/embedded-postgres.ts';
import { migrate } from '../../db/sql-migrator.ts';
import type { Logger } from '../../logging/logger.ts';
import { bootModule } from './stop-steps.ts';

/** The database: the embedded PostgreSQL when no DATABASE_URL is set, the pool, and the core migrations. */
export function startDatabase(deps: { config: Config; logger: Logger }) {
  const { config, logger } = deps;
  return bootModule(logger, async (onStop) => {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres({
        dir: path.join(config.dataDir, 'postgres'),
        port: config.embeddedDbPort,
        logger,
        supervise: true,
        walLevel: config.embeddedDbWalLevel,
      });
      onStop(() => embedded.stop());
      await ensureDatabase(embedded.url, 'itops');
      databaseUrl = withDatabase(embedded.url, 'itops');
    }
    const database = new Database(databaseUrl, config.dbPoolSize, logger, config.databaseReplica);
    onStop(() => database.close());
    const applied = await migrate(database.platform, '', coreMigrations);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
    return { database, databaseUrl };
  });
}
