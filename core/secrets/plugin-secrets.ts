import { createServiceToken } from '../plugin-api/tokens.ts';
import type { SecretsService } from '../plugin-api/index.ts';
import type { SecretStore } from './secret-store.ts';

/**
 * A plugin's view of the secrets store: names under its own prefix (`<pluginId>.<name>`), reads and
 * writes recorded as the plugin's. A plugin cannot name another plugin's secret, nor a core one.
 */
export function secretsFor(store: SecretStore, prefix: string, actor: string): SecretsService {
  const full = (name: string) => `${prefix}.${name}`;
  return {
    read: (tenantId, name, tx) => (tx ? store.readIn(tx, tenantId, full(name), actor) : store.read(tenantId, full(name), actor)),
    readToVerify: (tenantId, name) => store.readToVerify(tenantId, full(name)),
    write: async (tenantId, name, value, tx) => {
      const written = tx ? await store.writeIn(tx, tenantId, full(name), value, actor) : await store.write(tenantId, full(name), value, actor);
      return { version: written.version };
    },
  };
}

/** What the kernel resolves `tokens.secrets` to for each plugin (see plugin-scope.ts). */
export const pluginSecretsToken = createServiceToken<(pluginId: string) => SecretsService>('secrets, per plugin');
