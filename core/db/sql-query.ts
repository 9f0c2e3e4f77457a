/** Raw SQL with `?` placeholders through the platform's pool: what `Database.query` is, passed around. */
export type SqlQuery = <T>(sql: string, params?: unknown[]) => Promise<T[]>;
