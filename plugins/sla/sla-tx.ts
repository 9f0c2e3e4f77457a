import type { DatabaseService } from '../../core/plugin-api/index.ts';

/** The transaction handle DatabaseService.transaction gives: raw SQL plus the EntityManager events need. */
export type SlaTx = Parameters<Parameters<DatabaseService['transaction']>[0]>[0];
