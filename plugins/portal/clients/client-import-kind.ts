import { type ImportKindDeclaration, readInPages, type Tx } from '../../../core/plugin-api/index.ts';

/** A client as imports read and exports write it: matched by name (unique in a workspace, any case). */
export interface ClientImportRow {
  name: string;
  email?: string | null;
  externalRef?: string | null;
  status?: 'active' | 'inactive';
  tags?: string[];
}

const rowSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'Identifies the client: a known name (any case) updates it.' },
    email: { type: ['string', 'null'], format: 'email', maxLength: 320 },
    externalRef: { type: ['string', 'null'], maxLength: 200, description: 'The client’s id in the accounting system.' },
    status: { type: 'string', enum: ['active', 'inactive'] },
    tags: { type: 'array', maxItems: 50, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 64 } },
  },
};

/**
 * Clients as an import kind (a customer list from a PSA or accounting system), one statement per
 * batch; a name seen twice in one batch is a conflict the core names row by row. Fields a row leaves
 * out keep their value on update (an e-mail or external reference is not cleared by import); an inactive client's portal sessions stop at their next request.
 */
export const clientImportKind: ImportKindDeclaration<ClientImportRow & Record<string, unknown>> = {
  name: 'clients',
  description: 'The MSP’s clients (portal), matched by name.',
  rowSchema,
  async upsert(tx: Tx, rows) {
    // One statement per shape of row (whether it gives status and tags: left out, they keep their
    // value on update); a file has one shape as a rule.
    const shapes = new Map<string, ClientImportRow[]>();
    for (const row of rows) {
      const shape = `${row.status === undefined ? 0 : 1}${row.tags === undefined ? 0 : 1}`;
      shapes.set(shape, [...(shapes.get(shape) ?? []), row]);
    }
    for (const [shape, group] of shapes) {
      await tx.query(
        `INSERT INTO portal_client (id, tenant_id, name, email, external_ref, status, tags)
         SELECT gen_random_uuid(), ?, btrim(r.name), r.email, r."externalRef", coalesce(r.status, 'active'), coalesce(r.tags, '{}')
         FROM jsonb_to_recordset(?::jsonb) AS r(name text, email text, "externalRef" text, status text, tags text[])
         ON CONFLICT (tenant_id, lower(name)) DO UPDATE SET
           email = coalesce(excluded.email, portal_client.email),
           external_ref = coalesce(excluded.external_ref, portal_client.external_ref),
           status = ${shape[0] === '1' ? 'excluded.status' : 'portal_client.status'},
           tags = ${shape[1] === '1' ? 'excluded.tags' : 'portal_client.tags'},
           version = portal_client.version + 1, updated_at = now()`,
        [tx.tenantId, JSON.stringify(group)],
      );
    }
  },
  read: (tx) => readInPages(tx, `SELECT name, email, external_ref AS "externalRef", status, tags FROM portal_client ORDER BY lower(name), id`),
};
