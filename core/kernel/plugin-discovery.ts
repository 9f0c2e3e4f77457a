import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginManifest } from '../plugin-api/index.ts';

export interface DiscoveredPlugin {
  source: string;
  manifest: unknown;
  firstParty: boolean;
  /** Why the plugin could not be imported; the plugin then stays off and the rest boot. */
  error?: string;
}

const entryNames = ['plugin.ts', 'plugin.js', 'index.js', 'index.ts'];

function entryOf(folder: string): string | undefined {
  for (const name of entryNames) {
    const file = path.join(folder, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

async function importManifest(specifier: string): Promise<{ manifest: unknown; error?: string }> {
  try {
    const mod = (await import(specifier)) as { default?: PluginManifest; plugin?: PluginManifest };
    return { manifest: mod.default ?? mod.plugin };
  } catch (error) {
    return { manifest: undefined, error: `could not be imported: ${(error as Error)?.message ?? String(error)}` };
  }
}

/** First-party plugins: every folder under plugins/ with a plugin.ts (or compiled plugin.js). */
export async function discoverFirstParty(pluginsDir: string): Promise<DiscoveredPlugin[]> {
  if (!existsSync(pluginsDir)) return [];
  const found: DiscoveredPlugin[] = [];
  for (const name of readdirSync(pluginsDir).sort()) {
    const folder = path.join(pluginsDir, name);
    if (!statSync(folder).isDirectory()) continue;
    const entry = entryOf(folder);
    if (!entry) continue;
    found.push({ source: path.relative(process.cwd(), entry), ...(await importManifest(pathToFileURL(entry).href)), firstParty: true });
  }
  return found;
}

/** Third-party plugins named in configuration: a folder, a file, or an npm package name. */
export async function discoverConfigured(specifiers: string[]): Promise<DiscoveredPlugin[]> {
  const found: DiscoveredPlugin[] = [];
  for (const specifier of specifiers) {
    const looksLikePath = specifier.startsWith('.') || specifier.startsWith('/');
    let target = specifier;
    if (looksLikePath) {
      const resolved = path.resolve(specifier);
      const entry = existsSync(resolved) && statSync(resolved).isDirectory() ? entryOf(resolved) : resolved;
      if (!entry || !existsSync(entry)) throw new Error(`plugin ${specifier} (ITOPS_PLUGINS) was not found`);
      target = pathToFileURL(entry).href;
    }
    found.push({ source: specifier, ...(await importManifest(target)), firstParty: false });
  }
  return found;
}
