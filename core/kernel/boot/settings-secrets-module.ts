import { type Config, ConfigError } from '../../config/config.ts';
import type { Database } from '../../db/database.ts';
import type { EventBus } from '../../events/event-bus.ts';
import type { EventOutbox } from '../../events/event-outbox.ts';
import type { Logger } from '../../logging/logger.ts';
import type { PluginManifest } from '../../plugin-api/index.ts';
import { MasterKeyError, resolveMasterKeyring } from '../../secrets/master-key.ts';
import { SecretStore } from '../../secrets/secret-store.ts';
import { secretsModule } from '../../secrets/secrets.module.ts';
import { corePlatformSettings, coreWorkspaceSettings } from '../../settings/core-settings.ts';
import { type SettingsScope, type SettingsSection, SettingsSchemas } from '../../settings/settings-schema.ts';
import { settingsChangedTopic, SettingsStore } from '../../settings/settings-store.ts';
import { settingsModule } from '../../settings/settings.module.ts';
import { bootModule } from './stop-steps.ts';
import { offerFirstRun } from '../../first-run/first-run-boot.ts';
import { firstRunModule } from '../../first-run/first-run.module.ts';
import { SetupTokens } from '../../first-run/setup-tokens.ts';

/**
 * Settings, secrets and the first run: the master keyring (production without ITOPS_MASTER_KEY stops here, with
 * the reason), the two stores, and their HTTP modules. Settings sections follow the plugins loaded
 * now; a change heard from any node drops this node's cached copy.
 */
export function startSettingsAndSecrets(deps: {
  config: Config;
  database: Database;
  bus: EventBus;
  outbox: EventOutbox;
  logger: Logger;
  loadedManifests: () => PluginManifest[];
}) {
  const { config, database, bus, outbox, logger } = deps;
  return bootModule(logger, async (onStop) => {
    const keyring = await resolveMasterKeyring(config, logger).catch((error: unknown) => {
      // Reported like any configuration problem: one clear line, no stack.
      throw error instanceof MasterKeyError ? new ConfigError([error.message]) : error;
    });
    const secrets = new SecretStore(database, keyring, outbox);
    const sections = (scope: SettingsScope, core: SettingsSection['schema']) => (): SettingsSection[] => [
      { owner: 'core', schema: core },
      ...deps.loadedManifests().flatMap((m) => (m.settings?.[scope] ? [{ owner: m.id, schema: m.settings[scope] }] : [])),
    ];
    const schemas = {
      platform: new SettingsSchemas(sections('platform', corePlatformSettings)),
      workspace: new SettingsSchemas(sections('workspace', coreWorkspaceSettings)),
    };
    const settings = new SettingsStore(database, schemas, outbox);
    const unsubscribe = bus.subscribe((event) => settings.forget(event.tenantId), { topics: new Set([settingsChangedTopic]) });
    onStop(async () => unsubscribe());
    const tokens = new SetupTokens(database.platform);
    const firstRun = firstRunModule({
      platform: database.platform,
      tokens,
      defaultPlan: async () => String((await settings.section(null, 'core')).defaultPlan ?? 'free'),
    });
    return {
      keyring,
      secrets,
      settings,
      modules: [secretsModule({ store: secrets }), settingsModule({ store: settings, schemas }), firstRun],
      /** Once the server listens: the first-run link, when there is no user yet (never in production). */
      announceFirstRun: (baseUrl: string) => offerFirstRun({ config, platform: database.platform, tokens, logger, baseUrl }),
    };
  });
}
