import { randomUUID } from 'node:crypto';
import { AppError, type DatabaseService, type ListResource, type OperationRequest, type Tx } from '../../core/plugin-api/index.ts';

/** One body field of a resource and the column that holds it. */
export interface FieldSpec {
  column: string;
  /** Stored as jsonb (sent as JSON text). */
  json?: boolean;
  /** What a create or a PUT gives the field when the body leaves it out. */
  default: unknown;
}

export interface VersionedResourceSpec<Row extends { id: string; version: number }, View> {
  table: string;
  /** How messages name one of them: `Asset`, `SLA policy`. */
  noun: string;
  fields: Record<string, FieldSpec>;
  list: ListResource<View>;
  view(row: Row): View;
  /** Checks the body cannot express in the contract (e.g. a calendar's time zone); throws AppError. */
  check?(tx: Tx, merged: Record<string, unknown>): Promise<void> | void;
  /** Runs in the write's transaction after it: events, side effects. `before` is absent on create, `after` on delete. */
  written?(tx: Tx, change: { before?: Row; after?: Row }): Promise<void>;
}

type Req = OperationRequest<any, any, any> & { tenantId: string };

/** A unique index (e.g. a name taken in the workspace) refuses the write: the caller's conflict, not a fault. */
async function unique<T>(noun: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new AppError('conflict', `Another ${noun.toLowerCase()} already has this name`);
    throw error;
  }
}

/**
 * The seed's resource pattern (list, create, get, PUT, PATCH, DELETE) for the plugin's small
 * resources (SLA policies, assets, runbooks, alert rules), each with a version that a PUT or PATCH
 * must name (a stale one answers 409). Tickets have their own store: their writes move SLA clocks.
 */
export function versionedResource<Row extends { id: string; version: number }, View>(database: DatabaseService, spec: VersionedResourceSpec<Row, View>) {
  const entries = Object.entries(spec.fields);
  const value = (field: FieldSpec, v: unknown) => (field.json ? JSON.stringify(v) : v);
  const missing = (id: string) => new AppError('not_found', `${spec.noun} ${id} was not found`);

  const find = async (tx: Tx, id: string, lock = false) => {
    const [row] = await tx.query<Row>(`SELECT * FROM ${spec.table} WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!row) throw missing(id);
    return row;
  };

  const rowFields = (row: Row) => {
    const fields: Record<string, unknown> = {};
    for (const [name, field] of entries) fields[name] = (row as Record<string, unknown>)[field.column];
    return fields;
  };

  async function update(tx: Tx, id: string, body: Record<string, unknown>, replace: boolean) {
    const before = await find(tx, id, true);
    const { version, ...input } = body;
    if (version !== before.version)
      throw new AppError('conflict', `${spec.noun} ${id} is at version ${before.version}, not ${version}: read it again`, {
        details: { currentVersion: before.version },
      });
    const merged = replace
      ? Object.fromEntries(entries.map(([name, field]) => [name, input[name] ?? field.default]))
      : { ...rowFields(before), ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) };
    await spec.check?.(tx, merged);
    const sets = entries.map(([, field]) => `${field.column} = ?`);
    const [after] = await unique(spec.noun, () =>
      tx.query<Row>(`UPDATE ${spec.table} SET ${sets.join(', ')}, version = version + 1, updated_at = now() WHERE id = ? RETURNING *`, [
        ...entries.map(([name, field]) => value(field, merged[name])),
        id,
      ]),
    );
    await spec.written?.(tx, { before, after });
    return spec.view(after);
  }

  return {
    find,
    list: (req: Req) => spec.list.page(database.forTenant(req.tenantId), req.query),
    get: (req: Req) => database.forTenant(req.tenantId).transaction(async (tx) => spec.view(await find(tx, req.params.id))),
    create: async (req: Req) => {
      const view = await database.forTenant(req.tenantId).transaction(async (tx) => {
        const merged = Object.fromEntries(entries.map(([name, field]) => [name, req.body[name] ?? field.default]));
        await spec.check?.(tx, merged);
        const [row] = await unique(spec.noun, () =>
          tx.query<Row>(
            `INSERT INTO ${spec.table} (id, tenant_id, ${entries.map(([, f]) => f.column).join(', ')}) VALUES (?, ?, ${entries.map(() => '?').join(', ')}) RETURNING *`,
            [randomUUID(), tx.tenantId, ...entries.map(([name, field]) => value(field, merged[name]))],
          ),
        );
        await spec.written?.(tx, { after: row });
        return spec.view(row);
      });
      return { status: 201, body: view };
    },
    replace: (req: Req) => database.forTenant(req.tenantId).transaction((tx) => update(tx, req.params.id, req.body, true)),
    patch: (req: Req) => database.forTenant(req.tenantId).transaction((tx) => update(tx, req.params.id, req.body, false)),
    delete: async (req: Req) => {
      await database.forTenant(req.tenantId).transaction(async (tx) => {
        const before = await find(tx, req.params.id, true);
        await tx.query(`DELETE FROM ${spec.table} WHERE id = ?`, [req.params.id]);
        await spec.written?.(tx, { before });
      });
      return { status: 204 };
    },
  };
}
