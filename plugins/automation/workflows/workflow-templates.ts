import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { AppError, type JsonSchema, type NotificationChannelsService, type TemplateSection, type Tx } from '../../../core/plugin-api/index.ts';
import { checkNotifyChannels } from './notify-channels.ts';
import { checkDefinition, type WorkflowStep, type WorkflowTrigger } from './workflow-definition.ts';
import { type Fields, recordVersion, type WorkflowRow, writeWorkflow } from './workflows.handlers.ts';

type Schema = Record<string, unknown>;

/** The contract's own schemas, with their `$ref`s written out: one definition of a workflow, wherever it is read. */
function itemSchemaFromContract(): JsonSchema {
  const document = parse(readFileSync(new URL('./workflows.openapi.yaml', import.meta.url), 'utf8'));
  const schemas = document.components.schemas as Record<string, Schema>;
  const inline = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(inline);
    if (!value || typeof value !== 'object') return value;
    const ref = (value as Schema).$ref;
    if (typeof ref === 'string') return inline(schemas[ref.replace('#/components/schemas/', '')]);
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, inline(inner)]));
  };
  return inline(schemas.WorkflowCreate) as JsonSchema;
}

const jsonPointer = (path: string) =>
  path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .join('/');

const fieldsOf = (item: Record<string, unknown>): Fields => ({
  name: item.name as string,
  description: (item.description as string | undefined) ?? '',
  enabled: (item.enabled as boolean | undefined) ?? true,
  trigger: item.trigger as WorkflowTrigger,
  steps: item.steps as WorkflowStep[],
  output: item.output ?? null,
});

const same = (fields: Fields, row: WorkflowRow) =>
  JSON.stringify([fields.name, fields.description, fields.enabled, fields.trigger, fields.steps, fields.output ?? null]) ===
  JSON.stringify([row.name, row.description, row.enabled, row.trigger, row.steps, row.output ?? null]);

/**
 * The `workflows:` section of the templates document (seed 001): workflows by name, their current
 * definitions out, and back in as new workflows or new versions of the ones with that name.
 */
export function workflowTemplates(channels: NotificationChannelsService, changed: () => void): TemplateSection {
  return {
    name: 'workflows',
    // Importing creates and replaces workflows, which then run HTTP, agent and ticket steps: the
    // same permission as writing them through /api/v1/workflows, whoever may import templates.
    permissions: { import: 'automation.workflows:write', export: 'automation.workflows:read' },
    itemSchema: itemSchemaFromContract(),
    keyOf: (item) => String(item.name).toLowerCase(),
    async export(tx: Tx) {
      const rows = await tx.query<WorkflowRow>('SELECT * FROM workflow ORDER BY lower(name), id');
      return rows.map((row) => ({
        name: row.name,
        ...(row.description ? { description: row.description } : {}),
        enabled: row.enabled,
        trigger: row.trigger,
        steps: row.steps,
        ...(row.output === null || row.output === undefined ? {} : { output: row.output }),
      }));
    },
    async import(tx, items, report) {
      items.forEach((item, index) => {
        try {
          checkDefinition(fieldsOf(item));
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          const details = (error.details as { path: string; message: string }[]).map((d) => ({
            path: `/workflows/${index}/${jsonPointer(d.path)}`,
            message: d.message,
          }));
          throw new AppError('validation_failed', `Workflow ${String(item.name)} is not valid`, { details });
        }
      });
      for (const [index, item] of items.entries()) {
        const fields = fieldsOf(item);
        await checkNotifyChannels(tx, channels, fields.steps, (step) => `/workflows/${index}/steps/${step}/channel`);
        const [row] = await tx.query<WorkflowRow>('SELECT * FROM workflow WHERE lower(name) = lower(?) FOR UPDATE', [fields.name]);
        if (row && same(fields, row)) {
          report.skipped.push(fields.name);
          continue;
        }
        const written = await writeWorkflow(tx, fields, row?.id);
        await recordVersion(tx, written as WorkflowRow, 'templates import');
        (row ? report.updated : report.created).push(fields.name);
      }
      if (items.length > 0) tx.afterCommit(changed);
    },
  };
}
