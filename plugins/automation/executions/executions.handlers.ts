import { AppError, type ConfigService, type DatabaseService, defineList, type OperationRequest, type Tx } from '../../../core/plugin-api/index.ts';
import type { ExecutionRow, WorkflowEngine } from '../engine/workflow-engine.ts';
import { findWorkflow } from '../workflows/workflows.handlers.ts';

interface StepRunRow {
  step_index: number;
  step_id: string;
  type: string;
  attempt: number;
  status: string;
  output: unknown;
  error_code: string | null;
  error_message: string | null;
  started_at: Date;
  completed_at: Date | null;
}

type Row = ExecutionRow & { current_step_id: string | null; duration_ms: number | null };

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/** The current step's id and the duration, computed where the definition and the clock are. */
const select = `e.*, (SELECT s->>'id' FROM workflow_version v, jsonb_array_elements(v.steps) WITH ORDINALITY AS x(s, n)
                       WHERE v.workflow_id = e.workflow_id AND v.version = e.workflow_version AND x.n = e.current_step + 1) AS current_step_id,
                (extract(epoch FROM coalesce(e.completed_at, now()) - e.started_at) * 1000)::bigint AS duration_ms`;

/**
 * The seed's WorkflowExecution: the refs point into this execution's own document (its input, its
 * output once it succeeded, and the step timeline as the evidence of what ran).
 */
function executionView(config: ConfigService, row: Row, steps?: StepRunRow[]) {
  const self = config.absoluteUrl(`/api/v1/workflow-executions/${row.id}`);
  return {
    id: row.id,
    workflowId: row.workflow_id,
    workflowVersion: row.workflow_version,
    workflowName: row.workflow_name,
    status: row.status,
    triggerKind: row.trigger_kind,
    inputRef: `${self}#/input`,
    outputRef: row.status === 'succeeded' ? `${self}#/output` : null,
    evidenceRef: `${self}#/steps`,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
    retryCount: row.retry_count,
    failureCode: row.failure_code,
    failureMessage: row.failure_message,
    currentStep: row.current_step_id,
    input: row.input,
    ...(row.status === 'succeeded' ? { output: row.output } : {}),
    queuedAt: iso(row.queued_at) as string,
    startedAt: iso(row.started_at),
    completedAt: iso(row.completed_at),
    ...(steps
      ? {
          steps: steps.map((s) => ({
            index: s.step_index,
            stepId: s.step_id,
            type: s.type,
            attempt: s.attempt,
            status: s.status,
            ...(s.output === null ? {} : { output: s.output }),
            errorCode: s.error_code,
            errorMessage: s.error_message,
            startedAt: iso(s.started_at) as string,
            completedAt: iso(s.completed_at),
            durationMs: s.completed_at ? new Date(s.completed_at).getTime() - new Date(s.started_at).getTime() : null,
          })),
        }
      : {}),
  };
}

type Req = OperationRequest<any, any, any> & { tenantId: string };

export function executionHandlers(database: DatabaseService, config: ConfigService, engine: WorkflowEngine) {
  const list = defineList({
    from: 'workflow_execution e',
    select,
    sortable: { queuedAt: 'e.queued_at', startedAt: 'e.started_at', completedAt: 'e.completed_at', status: 'e.status', workflowName: 'lower(e.workflow_name)' },
    defaultSort: 'queuedAt',
    equals: { status: 'e.status', workflowId: 'e.workflow_id' },
    search: ['e.workflow_name', 'e.failure_code', 'e.failure_message'],
    tieBreaker: 'e.id',
    nullsLast: true,
    view: (row: Row) => executionView(config, row),
  });

  const find = async (tx: Tx, id: string, lock = false) => {
    const [row] = await tx.query<Row>(`SELECT ${select} FROM workflow_execution e WHERE e.id = ?${lock ? ' FOR UPDATE OF e' : ''}`, [id]);
    if (!row) throw new AppError('not_found', `Workflow execution ${id} was not found`);
    return row;
  };
  const withSteps = async (tx: Tx, id: string) => {
    const row = await find(tx, id);
    const steps = await tx.query<StepRunRow>('SELECT * FROM workflow_step_run WHERE execution_id = ? ORDER BY started_at, attempt', [id]);
    return executionView(config, row, steps);
  };

  return {
    listWorkflowExecutions: (req: Req) => list.page(database.forTenant(req.tenantId), { sortOrder: 'desc', ...req.query }),
    getWorkflowExecution: (req: Req) => database.forTenant(req.tenantId).transaction((tx) => withSteps(tx, req.params.id)),
    retryWorkflowExecution: async (req: Req) => {
      const body = await database.forTenant(req.tenantId).transaction(async (tx) => {
        const row = await find(tx, req.params.id, true);
        if (row.status !== 'failed')
          throw new AppError('conflict', `Only a failed execution can be retried; this one is ${row.status}`, { details: { status: row.status } });
        await engine.retry(tx, row);
        return withSteps(tx, row.id);
      });
      return { status: 202, body };
    },
    cancelWorkflowExecution: (req: Req) =>
      database.forTenant(req.tenantId).transaction(async (tx) => {
        const row = await find(tx, req.params.id, true);
        if (!['queued', 'running', 'waiting'].includes(row.status))
          throw new AppError('conflict', `The execution already finished (${row.status})`, { details: { status: row.status } });
        await engine.cancel(tx, row);
        return withSteps(tx, row.id);
      }),
    runWorkflow: async (req: Req) => {
      const body = await database.forTenant(req.tenantId).transaction(async (tx) => {
        const workflow = await findWorkflow(tx, req.params.id);
        if (!workflow.enabled) throw new AppError('conflict', `Workflow ${workflow.name} is disabled`);
        const kind = workflow.trigger.type === 'webhook' ? 'webhook' : 'manual';
        const started = await engine.start(tx, workflow, {
          kind,
          input: req.body?.input ?? {},
          trigger: { kind, by: req.principal?.name ?? req.principal?.id ?? null },
          createdBy: req.principal?.name ?? req.principal?.id,
        });
        return withSteps(tx, (started as ExecutionRow).id);
      });
      return { status: 202, body };
    },
  };
}
