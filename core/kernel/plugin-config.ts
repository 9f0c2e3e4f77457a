import { readVariables } from '../config/config.ts';
import { createServiceToken, type PluginConfigValues, type PluginManifest } from '../plugin-api/index.ts';

/** The ITOPS_* variables the core does not know, for the plugins that declare them (kernel-internal). */
export const pluginVariablesToken = createServiceToken<Readonly<Record<string, string>>>('plugin variables');

const prefixOf = (manifest: PluginManifest) => `ITOPS_${manifest.id.toUpperCase()}_`;

/** A plugin's variables are named for it, so two plugins (or a plugin and the core) never read one variable. */
export function configNameProblems(manifest: PluginManifest, where: string): string[] {
  const prefix = prefixOf(manifest);
  return Object.keys(manifest.config ?? {})
    .filter((name) => !name.startsWith(prefix) || !/^[A-Z][A-Z0-9_]*$/.test(name))
    .map((name) => `${where}: configuration variable ${name} must be named ${prefix}<NAME> (upper case)`);
}

/** The plugin's configuration from the environment; throws, naming every bad variable, when it does not match. */
export function pluginConfig(manifest: PluginManifest, variables: Readonly<Record<string, string>>): PluginConfigValues {
  if (!manifest.config) return Object.freeze({});
  return Object.freeze(readVariables(variables, manifest.config as Record<string, object>) as PluginConfigValues);
}
