import { type ImportKindDeclaration, readInPages, type Tx } from '../../core/plugin-api/index.ts';

/** A service's definition as imports read and exports write it (agents report its status). */
export interface ServiceImportRow {
  nodeId: string;
  name: string;
  displayName?: string | null;
  criticality?: string | null;
  serviceType?: string | null;
  namespace?: string | null;
  tags?: string[];
  slaGroup?: string | null;
  backupExpected?: boolean;
  backupMaxAgeDays?: number;
}

const text = (maxLength: number) => ({ type: ['string', 'null'], maxLength });

const rowSchema = {
  type: 'object',
  required: ['nodeId', 'name'],
  additionalProperties: false,
  properties: {
    nodeId: { type: 'string', minLength: 1, maxLength: 200, description: 'With name, identifies the service: a known pair updates it.' },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    displayName: text(200),
    criticality: text(50),
    serviceType: text(50),
    namespace: text(200),
    tags: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 } },
    slaGroup: text(200),
    backupExpected: { type: 'boolean' },
    backupMaxAgeDays: { type: 'integer', minimum: 1, maximum: 3650 },
  },
};

/**
 * The service catalog as an import kind, written set-wise: one statement each for the batch's
 * nodes, SLA groups and services (a million rows are a few thousand statements, not a million).
 * New services start UNKNOWN until their agent reports; fields a row leaves out keep their value.
 */
export const serviceImportKind: ImportKindDeclaration<ServiceImportRow & Record<string, unknown>> = {
  name: 'services',
  description: 'The SLA service catalog (definitions; agents report status), matched by nodeId and name.',
  rowSchema,
  async upsert(tx: Tx, rows) {
    const batch = JSON.stringify(rows);
    const recordset = `jsonb_to_recordset(?::jsonb) AS r("nodeId" text, name text, "displayName" text, criticality text, "serviceType" text,
      namespace text, tags text[], "slaGroup" text, "backupExpected" boolean, "backupMaxAgeDays" integer)`;
    // A node written by anything but its agent makes the agent's next sync take the full path.
    await tx.query(
      `INSERT INTO sla_node (tenant_id, node_id) SELECT DISTINCT ?::text, r."nodeId" FROM ${recordset}
       ON CONFLICT (tenant_id, node_id) DO UPDATE SET sync_hash = NULL`,
      [tx.tenantId, batch],
    );
    await tx.query(
      `INSERT INTO sla_group (id, tenant_id, name) SELECT gen_random_uuid(), ?, g.name FROM (SELECT DISTINCT r."slaGroup" AS name FROM ${recordset}) g
       WHERE g.name IS NOT NULL ON CONFLICT (tenant_id, name) DO NOTHING`,
      [tx.tenantId, batch],
    );
    // Known services first: only the fields a row gives change.
    await tx.query(
      `UPDATE sla_service s SET
         display_name = coalesce(r."displayName", s.display_name),
         criticality = coalesce(r.criticality, s.criticality),
         service_type = coalesce(r."serviceType", s.service_type),
         namespace = coalesce(r.namespace, s.namespace),
         tags = coalesce(r.tags, s.tags),
         sla_group_id = coalesce(g.id, s.sla_group_id),
         backup_expected = coalesce(r."backupExpected", s.backup_expected),
         backup_max_age_days = coalesce(r."backupMaxAgeDays", s.backup_max_age_days),
         updated_at = now()
       FROM ${recordset} LEFT JOIN sla_group g ON g.name = r."slaGroup"
       WHERE s.node_id = r."nodeId" AND s.name = r.name`,
      [batch],
    );
    await tx.query(
      `INSERT INTO sla_service (id, tenant_id, node_id, name, display_name, criticality, service_type, namespace, tags, sla_group_id,
         backup_expected, backup_max_age_days, status, source)
       SELECT gen_random_uuid(), ?, r."nodeId", r.name, r."displayName", r.criticality, r."serviceType", r.namespace, coalesce(r.tags, '{}'),
         g.id, coalesce(r."backupExpected", false), coalesce(r."backupMaxAgeDays", 1), 'UNKNOWN', 'template'
       FROM ${recordset} LEFT JOIN sla_group g ON g.name = r."slaGroup"
       ON CONFLICT (tenant_id, node_id, name) DO NOTHING`,
      [tx.tenantId, batch],
    );
  },
  read: (tx) =>
    readInPages(
      tx,
      `SELECT s.node_id AS "nodeId", s.name, s.display_name AS "displayName", s.criticality, s.service_type AS "serviceType", s.namespace, s.tags,
         g.name AS "slaGroup", s.backup_expected AS "backupExpected", s.backup_max_age_days AS "backupMaxAgeDays"
       FROM sla_service s LEFT JOIN sla_group g ON g.id = s.sla_group_id ORDER BY s.node_id, s.name`,
    ),
};
