import { type SqlMigration, sqlMigrations } from '../db/sql-migrator.ts';
import type { PluginManifest } from '../plugin-api/index.ts';

/** A manifest's migrations: a folder of SQL files, or the list itself. */
export function pluginMigrations(manifest: PluginManifest): SqlMigration[] {
  const declared = manifest.migrations;
  if (!declared) return [];
  return declared instanceof URL ? sqlMigrations(declared) : declared;
}
