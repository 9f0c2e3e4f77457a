import type { ImportKindDeclaration, PluginManifest } from '../plugin-api/index.ts';

/** A kind with the plugin that contributes it. */
export interface ImportKind {
  owner: string;
  kind: ImportKindDeclaration;
}

/**
 * The import kinds of the plugins loaded now, read from their manifests at each call: a plugin
 * that unloads (license expiry) takes its kinds with it, and core never names a plugin.
 */
export class ImportKinds {
  constructor(private readonly loaded: () => PluginManifest[]) {}

  all(): ImportKind[] {
    return this.loaded().flatMap((manifest) => (manifest.importKinds ?? []).map((kind) => ({ owner: manifest.id, kind })));
  }

  find(name: string): ImportKind | undefined {
    return this.all().find((entry) => entry.kind.name === name);
  }

  /** The CSV columns of a kind: its schema's properties, in order. */
  static columns(kind: ImportKindDeclaration): string[] {
    return Object.keys((kind.rowSchema.properties ?? {}) as Record<string, unknown>);
  }
}
