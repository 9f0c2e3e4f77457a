import { randomUUID } from 'node:crypto';
import {
  AppError,
  type ConfigService,
  type DatabaseService,
  type NotificationChannelsService,
  defineList,
  type OperationRequest,
  type SecretsService,
  type Tx,
} from '../../../core/plugin-api/index.ts';
import { checkNotifyChannels } from './notify-channels.ts';
import { ensureWebhookSecret, webhookView } from './workflow-webhook.ts';
import { checkDefinition, nextCronRun, type WorkflowStep, type WorkflowTrigger } from './workflow-definition.ts';

export interface WorkflowRow {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  trigger: WorkflowTrigger;
  steps: WorkflowStep[];
  output: unknown;
  version: number;
  next_run_at: Date | null;
  webhook_secret_rotated_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export const workflowView = (row: WorkflowRow) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  enabled: row.enabled,
  trigger: row.trigger,
  steps: row.steps,
  ...(row.output === null || row.output === undefined ? {} : { output: row.output }),
  version: row.version,
  nextRunAt: iso(row.next_run_at),
  createdAt: iso(row.created_at) as string,
  updatedAt: iso(row.updated_at) as string,
});

interface VersionRow {
  version: number;
  name: string;
  trigger: WorkflowTrigger;
  steps: WorkflowStep[];
  output: unknown;
  created_by: string | null;
  created_at: Date;
}

const versionList = defineList({
  from: 'workflow_version',
  sortable: { version: 'version' },
  defaultSort: 'version',
  tieBreaker: 'version',
  view: (row: VersionRow) => ({
    version: row.version,
    name: row.name,
    trigger: row.trigger,
    steps: row.steps,
    ...(row.output === null || row.output === undefined ? {} : { output: row.output }),
    createdBy: row.created_by,
    createdAt: iso(row.created_at) as string,
  }),
});

type Req = OperationRequest<any, any, any> & { tenantId: string };

export interface Fields {
  name: string;
  description: string;
  enabled: boolean;
  trigger: WorkflowTrigger;
  steps: WorkflowStep[];
  output: unknown;
}

/** A unique index (the name taken in the workspace) refuses the write: the caller's conflict, not a fault. */
async function uniqueName<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: string }).code === '23505') throw new AppError('conflict', 'Another workflow already has this name');
    throw error;
  }
}

export const dueAt = (fields: Fields) => (fields.enabled && fields.trigger.type === 'cron' ? nextCronRun(fields.trigger.schedule as string, new Date()) : null);

/**
 * Writes a workflow's fields: a new workflow, or the next version of `existingId`. The handlers and
 * the templates import write through here alike; each then records the version.
 */
export async function writeWorkflow(tx: Tx, fields: Fields, existingId?: string): Promise<WorkflowRow> {
  const values = [
    fields.name,
    fields.description,
    fields.enabled,
    JSON.stringify(fields.trigger),
    JSON.stringify(fields.steps),
    JSON.stringify(fields.output ?? null),
    dueAt(fields),
  ];
  const [row] = existingId
    ? await tx.query<WorkflowRow>(
        `UPDATE workflow SET name = ?, description = ?, enabled = ?, trigger = ?, steps = ?, output = ?, next_run_at = ?,
                version = version + 1, updated_at = now() WHERE id = ? RETURNING *`,
        [...values, existingId],
      )
    : await tx.query<WorkflowRow>(
        `INSERT INTO workflow (id, tenant_id, name, description, enabled, trigger, steps, output, next_run_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [randomUUID(), tx.tenantId, ...values],
      );
  return row;
}

/** Every change is a version of its own, kept with who made it: executions name the version they ran. */
export async function recordVersion(tx: Tx, row: WorkflowRow, author: string | undefined) {
  await tx.query('INSERT INTO workflow_version (tenant_id, workflow_id, version, name, trigger, steps, output, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    tx.tenantId,
    row.id,
    row.version,
    row.name,
    JSON.stringify(row.trigger),
    JSON.stringify(row.steps),
    JSON.stringify(row.output ?? null),
    author ?? null,
  ]);
}

export async function findWorkflow(tx: Tx, id: string, lock = false): Promise<WorkflowRow> {
  const [row] = await tx.query<WorkflowRow>(`SELECT * FROM workflow WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [id]);
  if (!row) throw new AppError('not_found', `Workflow ${id} was not found`);
  return row;
}

export interface WorkflowHandlerDeps {
  database: DatabaseService;
  /** NOTIFY steps' channels are checked against the workspace's. */
  channels: NotificationChannelsService;
  /** Where webhook triggers' secrets are kept. */
  secrets: SecretsService;
  config: ConfigService;
}

/**
 * The workflows resource (seed 003's pattern: list, create, get, PUT, PATCH, DELETE). `changed`
 * runs after each write's commit (the event-trigger cache of this node).
 */
export function workflowHandlers({ database, channels, secrets, config }: WorkflowHandlerDeps, changed: () => void) {
  const author = (req: Req) => req.principal?.name ?? req.principal?.id;
  const viewOf = (row: WorkflowRow, secret?: string) => ({ ...workflowView(row), ...webhookView(config, row, secret) });
  const workflowList = defineList({
    from: 'workflow',
    sortable: { name: 'lower(name)', createdAt: 'created_at', updatedAt: 'updated_at' },
    defaultSort: 'name',
    equals: { enabled: 'enabled' },
    search: ['name', 'description'],
    view: (row: WorkflowRow) => viewOf(row),
  });

  async function update(req: Req, replace: boolean) {
    const view = await database.forTenant(req.tenantId).transaction(async (tx) => {
      const before = await findWorkflow(tx, req.params.id, true);
      const { version, ...input } = req.body as Partial<Fields> & { version: number };
      if (version !== before.version)
        throw new AppError('conflict', `Workflow ${before.id} is at version ${before.version}, not ${version}: read it again`, {
          details: { currentVersion: before.version },
        });
      const fields: Fields = replace
        ? {
            name: input.name as string,
            description: input.description ?? '',
            enabled: input.enabled ?? true,
            trigger: input.trigger as WorkflowTrigger,
            steps: input.steps as WorkflowStep[],
            output: input.output ?? null,
          }
        : {
            name: input.name ?? before.name,
            description: input.description ?? before.description,
            enabled: input.enabled ?? before.enabled,
            trigger: input.trigger ?? before.trigger,
            steps: input.steps ?? before.steps,
            output: input.output === undefined ? before.output : input.output,
          };
      checkDefinition(fields);
      // Steps left as they were are not checked again: disabling a workflow whose channel went must still work.
      if (input.steps !== undefined) await checkNotifyChannels(tx, channels, fields.steps);
      const written = await uniqueName(() => writeWorkflow(tx, fields, before.id));
      await recordVersion(tx, written, author(req));
      const after = await ensureWebhookSecret(tx, secrets, written);
      tx.afterCommit(changed);
      return viewOf(after.row, after.secret);
    });
    return view;
  }

  return {
    listWorkflows: (req: Req) => workflowList.page(database.forTenant(req.tenantId), req.query),
    getWorkflow: (req: Req) => database.forTenant(req.tenantId).transaction(async (tx) => viewOf(await findWorkflow(tx, req.params.id))),
    createWorkflow: async (req: Req) => {
      const body = req.body as Partial<Fields>;
      const fields: Fields = {
        name: body.name as string,
        description: body.description ?? '',
        enabled: body.enabled ?? true,
        trigger: body.trigger as WorkflowTrigger,
        steps: body.steps as WorkflowStep[],
        output: body.output ?? null,
      };
      checkDefinition(fields);
      const view = await database.forTenant(req.tenantId).transaction(async (tx) => {
        await checkNotifyChannels(tx, channels, fields.steps);
        const row = await uniqueName(() => writeWorkflow(tx, fields));
        await recordVersion(tx, row, author(req));
        const created = await ensureWebhookSecret(tx, secrets, row);
        tx.afterCommit(changed);
        return viewOf(created.row, created.secret);
      });
      return { status: 201, body: view };
    },
    listWorkflowVersions: (req: Req) =>
      database.forTenant(req.tenantId).transaction(async (tx) => {
        await findWorkflow(tx, req.params.id);
        return versionList.page(tx, { sortOrder: 'desc', ...req.query }, { where: 'workflow_id = ?', params: [req.params.id] });
      }),
    replaceWorkflow: (req: Req) => update(req, true),
    updateWorkflow: (req: Req) => update(req, false),
    deleteWorkflow: async (req: Req) => {
      await database.forTenant(req.tenantId).transaction(async (tx) => {
        // The row lock also holds back executions starting meanwhile (the engine's start shares it).
        await findWorkflow(tx, req.params.id, true);
        // Unfinished executions run on the versions the delete would take with it: refused rather
        // than cancelled behind the caller's back, since a running step may be acting right now.
        const [{ unfinished }] = await tx.query<{ unfinished: number }>(
          "SELECT count(*)::int AS unfinished FROM workflow_execution WHERE workflow_id = ? AND status IN ('queued', 'running', 'waiting')",
          [req.params.id],
        );
        if (unfinished > 0)
          throw new AppError(
            'conflict',
            `Workflow ${req.params.id} has ${unfinished} unfinished execution(s): cancel them or let them finish, then delete it`,
            { details: { unfinishedExecutions: unfinished } },
          );
        await tx.query('DELETE FROM workflow WHERE id = ?', [req.params.id]);
        tx.afterCommit(changed);
      });
      return { status: 204 };
    },
  };
}
