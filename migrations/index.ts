import { sqlMigrations } from '../core/db/sql-migrator.ts';

/** Core's own migrations (plugins keep theirs beside their code). */
export const migrations = sqlMigrations(new URL('./', import.meta.url));
