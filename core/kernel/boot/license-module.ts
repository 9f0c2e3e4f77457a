import type { Config } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import type { EventBus } from '../../events/event-bus.ts';
import type { EventOutbox } from '../../events/event-outbox.ts';
import { LicenseService } from '../../license/license-service.ts';
import { licenseModule } from '../../license/license.module.ts';
import type { Logger } from '../../logging/logger.ts';
import type { PluginHost } from '../plugin-host.ts';
import { bootModule, type Stop } from './stop-steps.ts';

/** The license (read before the plugins it allows) and its HTTP module. */
export function startLicense(deps: {
  config: Config;
  database: Database;
  logger: Logger;
  pluginIds: () => string[];
  pluginStatuses: () => { id: string; state: string; error?: string }[];
}) {
  const { config, database, logger } = deps;
  return bootModule(logger, async (onStop) => {
    const licenses = await LicenseService.create({ config, query: database.query, logger, pluginIds: deps.pluginIds });
    onStop(async () => licenses.close());
    return { licenses, module: licenseModule({ licenses, pluginStatuses: deps.pluginStatuses }) };
  });
}

/**
 * A new or expired license loads and unloads plugins without a restart; the node that took the
 * activation tells the others, which re-read the license from the database.
 */
export function followLicense(deps: {
  licenses: LicenseService;
  plugins: PluginHost;
  database: Database;
  outbox: EventOutbox;
  bus: EventBus;
  logger: Logger;
}): { stop: Stop } {
  const { licenses, plugins, database, outbox, logger } = deps;
  let announced = licenses.current()?.licenseId;
  licenses.onChange(async (info) => {
    await plugins.reconcile((id) => licenses.allows(id));
    if (info && licenses.source() === 'activation' && info.licenseId !== announced) {
      announced = info.licenseId;
      await database.platform.transaction((tx) =>
        outbox.publish(tx, { topic: 'license:updated', payload: { customer: info.customer, plugins: info.plugins } }),
      );
    }
  });
  const stopSync = deps.bus.subscribe(
    () => {
      licenses.reload().catch((error) => logger.warn({ err: error }, 'could not reload the license'));
    },
    { topics: new Set(['license:updated']) },
  );
  return { stop: async () => stopSync() };
}
