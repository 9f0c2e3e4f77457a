import { stringify } from 'yaml';
import {
  AppError,
  type TemplateSection as ContributedSection,
  type OperationHandler,
  type OperationRequest,
  type SchemaValidator,
  type SqlQuery,
  type TemplateCaller,
  type TemplateSectionsService,
} from '../../../core/plugin-api/index.ts';
import { defaultTierTargets } from '../figures/availability-inputs.ts';
import { definitionInput, type ServiceInput, upsertService } from './catalog-writes.ts';
import { upsertGroups } from '../operator/operator-sync.ts';
import { type SlaDeps, tenantOf } from '../sla-deps.ts';
import type { SlaTx } from '../sla-tx.ts';
import { serviceFrom, type ServiceRow } from './service-row.ts';
import {
  invalid,
  parseTemplates,
  serviceKey,
  type TemplateDocument,
  type TemplateGroup,
  type TemplateSection,
  type TemplateService,
  templateSections,
} from './templates-format.ts';

/** The import contract caps a document at 2,000,000 characters; a text/plain body is not checked by the router. */
const maxDocumentLength = 2_000_000;

type CatalogRow = Pick<
  ServiceRow,
  'name' | 'node_id' | 'display_name' | 'criticality' | 'service_type' | 'namespace' | 'tags' | 'sla_group' | 'backup_expected' | 'backup_max_age_days'
>;
const catalogColumns =
  's.name, s.node_id, s.display_name, s.criticality, s.service_type, s.namespace, s.tags, g.name AS sla_group, s.backup_expected, s.backup_max_age_days';
type GroupRow = { name: string; display_name: string | null; tier: string; target_percent: number | null };

/** The SLA plugin's sections, and any a loaded plugin contributes (`workflows`). */
type Names = Record<TemplateSection, string[]> & Record<string, string[]>;
export interface TemplateImportResult {
  dryRun: boolean;
  created: Names;
  updated: Names;
  skipped: Names;
}

/** Thrown inside a dry run's transaction to roll it back, carrying the report out. */
class DryRunRollback {
  constructor(readonly result: TemplateImportResult) {}
}

/** Code-point order: the same on every database, whatever its collation. */
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortedSet = (values: readonly string[]) => [...new Set(values)].sort(byCodePoint);

/** Templates (seed 001): the service catalog and SLA definitions as YAML, out and back in. */
export function templateHandlers(deps: SlaDeps, validator: SchemaValidator, contributions: TemplateSectionsService): Record<string, OperationHandler> {
  return {
    async exportTemplates(req: OperationRequest<unknown, Record<string, string>, { sections?: string }>) {
      const contributed = contributions.sections();
      const requested = req.query.sections !== undefined;
      const sections = new Set(requested ? (req.query.sections as string).split(',') : [...templateSections, ...contributed.map((c) => c.name)]);
      const unknown = [...sections].filter((name) => !(templateSections as readonly string[]).includes(name) && !contributed.some((c) => c.name === name));
      if (unknown.length > 0)
        throw invalid('No loaded plugin holds these sections', [{ path: '/sections', message: `unknown sections: ${unknown.join(', ')}` }]);
      // A section asked for by name needs its permission (403 otherwise); the default document
      // leaves out the sections the caller may not read.
      const readable = await readableSections(
        contributions,
        req,
        contributed.filter((c) => sections.has(c.name)),
        requested,
      );
      const doc = await exportDocument(deps, tenantOf(req), sections as Set<TemplateSection>);
      for (const section of readable) doc[section.name] = await deps.db.forTenant(tenantOf(req)).transaction((tx) => section.export(tx));
      return { status: 200, headers: { 'content-type': 'application/yaml; charset=utf-8' }, body: stringify(doc, { lineWidth: 0 }) };
    },

    async importTemplates(req: OperationRequest<string | { yaml: string }, Record<string, string>, { dryRun?: boolean }>) {
      const tenantId = tenantOf(req);
      const dryRun = req.query.dryRun === true;
      const source = typeof req.body === 'string' ? req.body : req.body?.yaml;
      if (typeof source !== 'string' || source.trim() === '') throw invalid('The request carries no templates document', [{ path: '/', message: 'is empty' }]);
      if (source.length > maxDocumentLength)
        throw invalid('The templates document is too large', [{ path: '/', message: `is longer than ${maxDocumentLength} characters` }]);
      const contributed = contributions.sections();
      const doc = parseTemplates(source, validator, contributed);
      // Before anything is written: a section the document carries needs its own permission.
      for (const section of contributed) if (doc[section.name] !== undefined) await contributions.authorize(req, section, 'import');
      try {
        return await deps.db.forTenant(tenantId).transaction(async (tx) => {
          const report = await applyTemplates(tx, deps, tenantId, doc, dryRun);
          for (const section of contributed) {
            const names = { created: [] as string[], updated: [] as string[], skipped: [] as string[] };
            await section.import(tx, (doc[section.name] ?? []) as Record<string, unknown>[], names);
            for (const kind of ['created', 'updated', 'skipped'] as const) report[kind][section.name] = names[kind].sort(byCodePoint);
          }
          // A dry run is the same work, undone: its report is exactly what the real import would say.
          if (dryRun) throw new DryRunRollback(report);
          return report;
        });
      } catch (error) {
        if (error instanceof DryRunRollback) return error.result;
        throw error;
      }
    },
  };
}

async function readableSections(
  contributions: TemplateSectionsService,
  caller: TemplateCaller,
  sections: ContributedSection[],
  requested: boolean,
): Promise<ContributedSection[]> {
  const readable: ContributedSection[] = [];
  for (const section of sections) {
    try {
      await contributions.authorize(caller, section, 'export');
      readable.push(section);
    } catch (error) {
      if (requested || !(error instanceof AppError) || error.code !== 'forbidden') throw error;
    }
  }
  return readable;
}

async function exportDocument(deps: SlaDeps, tenantId: string, sections: Set<TemplateSection>) {
  const doc: Partial<TemplateDocument> = { apiVersion: 'itops/v1', kind: 'Templates' };
  const db = deps.db.forTenant(tenantId);
  if (sections.has('slaTiers')) {
    const tiers = await effectiveTiers(db.query);
    // Strictest first (critical, high, standard, low), then by name.
    doc.slaTiers = Object.fromEntries([...tiers.entries()].sort(([a, x], [b, y]) => y - x || byCodePoint(a, b)));
  }
  if (sections.has('slaGroups')) {
    const groups = await db.query<GroupRow>('SELECT name, display_name, tier, target_percent FROM sla_group');
    doc.slaGroups = groups
      .sort((a, b) => byCodePoint(a.name, b.name))
      .map((g) => ({
        name: g.name,
        ...(g.display_name !== null && { displayName: g.display_name }),
        tier: g.tier,
        ...(g.target_percent !== null && { targetPercent: Number(g.target_percent) }),
      }));
  }
  if (sections.has('services')) {
    const services = await db.query<CatalogRow>(`SELECT ${catalogColumns} FROM ${serviceFrom}`);
    doc.services = services
      .sort((a, b) => byCodePoint(a.node_id, b.node_id) || byCodePoint(a.name, b.name))
      .map((s) => ({
        name: s.name,
        nodeId: s.node_id,
        ...(s.display_name !== null && { displayName: s.display_name }),
        ...(s.criticality !== null && { criticality: s.criticality }),
        ...(s.service_type !== null && { serviceType: s.service_type }),
        ...(s.namespace !== null && { namespace: s.namespace }),
        tags: sortedSet(s.tags ?? []),
        ...(s.sla_group !== null && { slaGroup: s.sla_group }),
        operations: { backup: { expected: s.backup_expected, maxAgeDays: s.backup_max_age_days } },
      }));
  }
  return doc;
}

/** The target of every tier the workspace can use: its own sla_tier rows over the defaults. */
async function effectiveTiers(query: SqlQuery) {
  const rows = await query<{ tier: string; target_percent: number }>('SELECT tier, target_percent FROM sla_tier');
  return new Map<string, number>([...Object.entries(defaultTierTargets), ...rows.map((r) => [r.tier, Number(r.target_percent)] as [string, number])]);
}

/**
 * Applies a validated document in the caller's transaction. Each entry is compared with what the
 * workspace holds first: an entry that would change nothing is skipped without a write, so a
 * repeated import records no transition and publishes no event. Fields a document leaves out keep
 * their current value (as with the agent API).
 */
async function applyTemplates(tx: SlaTx, deps: SlaDeps, tenantId: string, doc: TemplateDocument, dryRun: boolean) {
  // One import per workspace at a time, so the report matches what was written.
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`sla.templates:${tenantId}`]);
  const report: TemplateImportResult = { dryRun, created: emptyNames(), updated: emptyNames(), skipped: emptyNames() };
  const groups = await tx.query<GroupRow>('SELECT name, display_name, tier, target_percent FROM sla_group');
  checkGroupReferences(doc, new Set(groups.map((g) => g.name)));

  await importTiers(tx, tenantId, doc.slaTiers ?? {}, report);
  await importGroups(tx, tenantId, doc.slaGroups ?? [], new Map(groups.map((g) => [g.name, g])), report);
  await importServices(tx, deps, tenantId, doc.services ?? [], report);

  for (const names of [report.created, report.updated, report.skipped]) for (const section of templateSections) names[section].sort(byCodePoint);
  return report;
}

const emptyNames = (): Names => ({ slaTiers: [], slaGroups: [], services: [] });

function checkGroupReferences(doc: TemplateDocument, existing: Set<string>) {
  const described = new Set((doc.slaGroups ?? []).map((g) => g.name));
  const problems = (doc.services ?? []).flatMap((s, i) =>
    s.slaGroup && !described.has(s.slaGroup) && !existing.has(s.slaGroup)
      ? [{ path: `/services/${i}/slaGroup`, message: `SLA group ${s.slaGroup} is neither in slaGroups nor in the workspace` }]
      : [],
  );
  if (problems.length > 0) throw invalid('The templates document refers to unknown SLA groups', problems);
}

async function importTiers(tx: SlaTx, tenantId: string, tiers: Record<string, number>, report: TemplateImportResult) {
  const rows = new Map(
    (await tx.query<{ tier: string; target_percent: number }>('SELECT tier, target_percent FROM sla_tier')).map((r) => [r.tier, Number(r.target_percent)]),
  );
  const writes: [string, number][] = [];
  for (const [tier, target] of Object.entries(tiers)) {
    // A tier's target is its own row, else the default: a default tier exists in every workspace.
    const current = rows.get(tier) ?? defaultTierTargets[tier];
    if (current === target) report.skipped.slaTiers.push(tier);
    else {
      (current === undefined ? report.created : report.updated).slaTiers.push(tier);
      writes.push([tier, target]);
    }
  }
  if (writes.length === 0) return;
  await tx.query(
    `INSERT INTO sla_tier (tenant_id, tier, target_percent)
     SELECT ?, x.tier, x.target FROM jsonb_to_recordset(?::jsonb) AS x(tier text, target double precision)
     ON CONFLICT (tenant_id, tier) DO UPDATE SET target_percent = excluded.target_percent`,
    [tenantId, JSON.stringify(writes.map(([tier, target]) => ({ tier, target })))],
  );
}

async function importGroups(tx: SlaTx, tenantId: string, groups: TemplateGroup[], existing: Map<string, GroupRow>, report: TemplateImportResult) {
  const changed = groups.filter((g) => {
    const row = existing.get(g.name);
    const same =
      row !== undefined &&
      (g.displayName === undefined || g.displayName === row.display_name) &&
      (g.tier === undefined || g.tier === row.tier) &&
      (g.targetPercent === undefined || g.targetPercent === (row.target_percent === null ? null : Number(row.target_percent)));
    if (same) report.skipped.slaGroups.push(g.name);
    return !same;
  });
  if (changed.length === 0) return;
  for (const g of await upsertGroups(tx, tenantId, changed)) (g.inserted ? report.created : report.updated).slaGroups.push(g.name);
}

async function importServices(tx: SlaTx, deps: SlaDeps, tenantId: string, services: TemplateService[], report: TemplateImportResult) {
  if (services.length === 0) return;
  const rows = await tx.query<CatalogRow>(
    `SELECT ${catalogColumns} FROM ${serviceFrom}
     WHERE (s.node_id, s.name) IN (SELECT x."nodeId", x.name FROM jsonb_to_recordset(?::jsonb) AS x("nodeId" text, name text))`,
    [JSON.stringify(services.map((s) => ({ nodeId: s.nodeId, name: s.name })))],
  );
  const existing = new Map(rows.map((r) => [serviceKey({ nodeId: r.node_id, name: r.name }), r]));
  for (const s of services) {
    const key = serviceKey(s);
    // A template sets the definition of a service, never its status (agents and pushes report that).
    const input = definitionInput(s);
    const row = existing.get(key);
    if (row && !differs(input, row)) {
      report.skipped.services.push(key);
      continue;
    }
    const upserted = await upsertService(tx, deps, tenantId, 'template', input);
    (upserted.created ? report.created : report.updated).services.push(key);
  }
}

/** Whether upsertService would change the row: only fields the input gives count. */
function differs(input: ServiceInput, row: CatalogRow): boolean {
  const changes = (given: unknown, current: unknown) => given !== undefined && given !== current;
  return (
    changes(input.displayName, row.display_name) ||
    changes(input.criticality, row.criticality) ||
    changes(input.serviceType, row.service_type) ||
    changes(input.namespace, row.namespace) ||
    changes(input.slaGroup, row.sla_group) ||
    changes(input.backupExpected, row.backup_expected) ||
    changes(input.backupMaxAgeDays, row.backup_max_age_days) ||
    (input.tags !== undefined && sortedSet(input.tags).join('\u0000') !== sortedSet(row.tags ?? []).join('\u0000'))
  );
}
