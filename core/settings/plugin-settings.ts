import { createServiceToken } from '../plugin-api/tokens.ts';
import type { SettingsService } from '../plugin-api/index.ts';
import type { SettingsStore } from './settings-store.ts';

/** A plugin's view of the settings: its own section, defaults filled in. */
export function settingsFor(store: SettingsStore, section: string): SettingsService {
  return {
    workspace: (tenantId) => store.section(tenantId, section),
    platform: () => store.section(null, section),
  };
}

/** What the kernel resolves `tokens.settings` to for each plugin (see plugin-scope.ts). */
export const pluginSettingsToken = createServiceToken<(pluginId: string) => SettingsService>('settings, per plugin');
