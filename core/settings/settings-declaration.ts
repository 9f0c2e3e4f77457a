import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { PluginManifest } from '../plugin-api/index.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false }));

/**
 * A manifest's settings sections, checked before the plugin loads: each an object schema that
 * compiles, and every setting with a default, so a workspace that never set anything still reads
 * a complete section.
 */
export function settingsDeclarationProblems(manifest: PluginManifest, where: string): string[] {
  const problems: string[] = [];
  if (manifest.settings === undefined) return problems;
  if (typeof manifest.settings !== 'object' || manifest.settings === null) return [`${where}: settings must be { platform?, workspace? }`];
  for (const [scope, schema] of Object.entries(manifest.settings)) {
    if (scope !== 'platform' && scope !== 'workspace') {
      problems.push(`${where}: settings.${scope} is not a scope (platform or workspace)`);
      continue;
    }
    if (schema === undefined) continue;
    const properties = (schema as { type?: unknown; properties?: unknown }).properties;
    if ((schema as { type?: unknown }).type !== 'object' || typeof properties !== 'object' || properties === null) {
      problems.push(`${where}: settings.${scope} must be a JSON schema of type object with properties`);
      continue;
    }
    for (const [name, property] of Object.entries(properties as Record<string, object>)) {
      if (!('default' in property)) problems.push(`${where}: setting ${scope}.${name} has no default`);
    }
    try {
      ajv.compile(schema);
    } catch (error) {
      problems.push(`${where}: settings.${scope} is not a valid JSON schema: ${(error as Error).message}`);
    }
  }
  return problems;
}
