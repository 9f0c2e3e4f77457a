import type { Config } from '../config/config.ts';
import type { PlatformDatabase } from '../db/sql-handles.ts';
import type { Logger } from '../logging/logger.ts';
import type { SetupTokens } from './setup-tokens.ts';

/**
 * With no user yet, outside production, prints a one-time link to the first-run page. Production
 * never issues one: a link in a log shipped elsewhere would hand the installation to whoever reads
 * it; there ITOPS_ADMIN_EMAIL and ITOPS_ADMIN_PASSWORD create the first admin.
 */
export async function offerFirstRun(deps: {
  config: Pick<Config, 'env'>;
  platform: PlatformDatabase;
  tokens: SetupTokens;
  logger: Logger;
  baseUrl: string;
}): Promise<string | undefined> {
  if (deps.config.env === 'production') return undefined;
  if ((await deps.platform.query('SELECT 1 FROM app_user LIMIT 1')).length > 0) return undefined;
  const link = `${deps.baseUrl}/setup?token=${await deps.tokens.issue()}`;
  deps.logger.warn({ setupUrl: link }, `no user exists yet: open ${link} to create the first platform admin and workspace (the link works once)`);
  return link;
}
