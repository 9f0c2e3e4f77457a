/**
 * `npm run audit:verify [-- --workspace <id>] [--json]`: verifies the audit trail's hash chains in the
 * configured database (DATABASE_URL, or the embedded one of the data directory) and reports, per
 * workspace, the first broken link. Exit code 0: every chain holds; 1: one is broken; 2: it could not run.
 * It reads as the tables' owner, so it sees every workspace and the platform's own chain.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../core/config/config.ts';
import { Database } from '../core/db/database.ts';
import { ensureDatabase, startEmbeddedPostgres, withDatabase } from '../core/db/embedded-postgres.ts';
import { createLogger } from '../core/logging/logger.ts';
import { verifyAllChains } from '../plugins/audit/chain/chain-report.ts';

try {
  const { values } = parseArgs({ options: { workspace: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const { config } = loadConfig();
  const logger = createLogger(config.logLevel);
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
    const result = await verifyAllChains(database.platform, values.workspace);
    process.stdout.write(values.json ? `${JSON.stringify(result.reports, null, 2)}\n` : result.text);
    process.exitCode = result.exitCode;
  } finally {
    await database.close();
    await stop();
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String((error as Error).stack ?? error)}\n`);
  process.exitCode = 2;
}
