import { type ImportKindDeclaration, readInPages, type Tx } from '../../../core/plugin-api/index.ts';

/** An asset as imports read and exports write it; `id` carries it across a round trip. */
export interface AssetImportRow {
  id?: string;
  name: string;
  kind?: string;
  state?: 'planned' | 'active' | 'maintenance' | 'retired';
  clientId?: string | null;
  owner?: string | null;
  serial?: string | null;
  location?: string | null;
  attributes?: Record<string, string>;
}

const text = { type: ['string', 'null'], maxLength: 200 };

const rowSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid', description: 'An exported asset’s id: a row with one of the workspace’s ids updates that asset.' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    kind: { type: 'string', minLength: 1, maxLength: 64 },
    state: { type: 'string', enum: ['planned', 'active', 'maintenance', 'retired'] },
    clientId: text,
    owner: text,
    serial: text,
    location: text,
    attributes: { type: 'object', maxProperties: 50, additionalProperties: { type: 'string', maxLength: 500 } },
  },
};

/**
 * Assets as an import kind, one statement per batch: a row with a known id updates that asset (its
 * version moves on, as an edit would); any other row is a new asset. An import publishes no
 * `asset.state_changed` per row: it is a bulk load, recorded as the import job.
 */
export const assetImportKind: ImportKindDeclaration<AssetImportRow & Record<string, unknown>> = {
  name: 'assets',
  description: 'Assets (CMDB-lite): servers, network gear, licences; id keeps an exported asset’s identity.',
  rowSchema,
  async upsert(tx: Tx, rows) {
    await tx.query(
      `INSERT INTO asset (id, tenant_id, name, kind, state, client_id, owner, serial, location, attributes)
       SELECT coalesce(r.id, gen_random_uuid()), ?, btrim(r.name), coalesce(r.kind, 'server'), coalesce(r.state, 'active'), r."clientId", r.owner,
         r.serial, r.location, coalesce(r.attributes, '{}')
       FROM jsonb_to_recordset(?::jsonb) AS r(id uuid, name text, kind text, state text, "clientId" text, owner text, serial text, location text,
         attributes jsonb)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, state = excluded.state, client_id = excluded.client_id,
         owner = excluded.owner, serial = excluded.serial, location = excluded.location, attributes = excluded.attributes,
         version = asset.version + 1, updated_at = now()`,
      [tx.tenantId, JSON.stringify(rows)],
    );
  },
  read: (tx) =>
    readInPages(tx, `SELECT id, name, kind, state, client_id AS "clientId", owner, serial, location, attributes FROM asset ORDER BY lower(name), id`),
};
