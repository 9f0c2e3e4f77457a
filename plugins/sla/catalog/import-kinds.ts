import { type ImportKindDeclaration, readInPages, type Tx } from '../../../core/plugin-api/index.ts';

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

/** Fields with a default on insert: left out of a row, an update keeps their value. */
const defaulted = ['tags', 'backupExpected', 'backupMaxAgeDays'] as const;

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
       ON CONFLICT (tenant_id, node_id) DO UPDATE SET sync_hash = NULL WHERE sla_node.sync_hash IS NOT NULL`,
      [tx.tenantId, batch],
    );
    await tx.query(
      `INSERT INTO sla_group (id, tenant_id, name) SELECT gen_random_uuid(), ?, g.name FROM (SELECT DISTINCT r."slaGroup" AS name FROM ${recordset}) g
       WHERE g.name IS NOT NULL ON CONFLICT (tenant_id, name) DO NOTHING`,
      [tx.tenantId, batch],
    );
    // One statement per shape of row (which of the defaulted fields it gives; a file has one shape
    // as a rule): the unique index decides insert or update, whatever the table's statistics say
    // (rows an all-or-nothing import wrote are uncommitted, so no ANALYZE ever sees them).
    const shapes = new Map<string, ServiceImportRow[]>();
    for (const row of rows) {
      const shape = defaulted.map((field) => (row[field] === undefined ? '0' : '1')).join('');
      shapes.set(shape, [...(shapes.get(shape) ?? []), row]);
    }
    for (const [shape, group] of shapes) {
      const given = (field: (typeof defaulted)[number]) => shape[defaulted.indexOf(field)] === '1';
      await tx.query(
        `INSERT INTO sla_service (id, tenant_id, node_id, name, display_name, criticality, service_type, namespace, tags, sla_group_id,
           backup_expected, backup_max_age_days, status, source)
         SELECT gen_random_uuid(), ?, r."nodeId", r.name, r."displayName", r.criticality, r."serviceType", r.namespace, coalesce(r.tags, '{}'),
           g.id, coalesce(r."backupExpected", false), coalesce(r."backupMaxAgeDays", 1), 'UNKNOWN', 'template'
         FROM ${recordset} LEFT JOIN sla_group g ON g.name = r."slaGroup"
         ON CONFLICT (tenant_id, node_id, name) DO UPDATE SET
           display_name = coalesce(excluded.display_name, sla_service.display_name),
           criticality = coalesce(excluded.criticality, sla_service.criticality),
           service_type = coalesce(excluded.service_type, sla_service.service_type),
           namespace = coalesce(excluded.namespace, sla_service.namespace),
           sla_group_id = coalesce(excluded.sla_group_id, sla_service.sla_group_id),
           tags = ${given('tags') ? 'excluded.tags' : 'sla_service.tags'},
           backup_expected = ${given('backupExpected') ? 'excluded.backup_expected' : 'sla_service.backup_expected'},
           backup_max_age_days = ${given('backupMaxAgeDays') ? 'excluded.backup_max_age_days' : 'sla_service.backup_max_age_days'},
           updated_at = now()`,
        [tx.tenantId, shapes.size === 1 ? batch : JSON.stringify(group)],
      );
    }
  },
  read: (tx) =>
    readInPages(
      tx,
      `SELECT s.node_id AS "nodeId", s.name, s.display_name AS "displayName", s.criticality, s.service_type AS "serviceType", s.namespace, s.tags,
         g.name AS "slaGroup", s.backup_expected AS "backupExpected", s.backup_max_age_days AS "backupMaxAgeDays"
       FROM sla_service s LEFT JOIN sla_group g ON g.id = s.sla_group_id ORDER BY s.node_id, s.name`,
    ),
};
