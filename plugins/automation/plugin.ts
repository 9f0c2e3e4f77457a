import { definePlugin, openapiFiles, type PluginManifest, tokens } from '../../core/plugin-api/index.ts';
import { WorkflowEngine } from './engine/workflow-engine.ts';
import { cronRound, eventTriggers, resumeRound } from './engine/workflow-triggers.ts';
import { executionHandlers } from './executions/executions.handlers.ts';
import { workflowTemplates } from './workflows/workflow-templates.ts';
import { workflowHandlers } from './workflows/workflows.handlers.ts';

const fragment = (path: string) => new URL(path, import.meta.url);

const readers = ['viewer', 'ops_engineer', 'automation_operator', 'integration_admin', 'data_admin'];

const executionPayload = {
  type: 'object',
  required: ['executionId', 'workflowId', 'status'],
  properties: { executionId: { type: 'string' }, workflowId: { type: 'string' }, status: { type: 'string' } },
};

/**
 * Automation (issue 19, seeds 003 and 001): workflows as data with durable executions on pg-boss.
 * Handlers are registered from one map of operationId → handler, so features add their entries.
 */
export interface AutomationOptions {
  /** Hands the engine over once it exists (the benchmark starts executions with it directly). */
  engineReady?: (engine: WorkflowEngine) => void;
}

export function createAutomationPlugin(options: AutomationOptions = {}): PluginManifest {
  return definePlugin({
    id: 'automation',
    version: '0.1.0',
    host: '>=0.1.0 <1.0.0',
    migrations: fragment('./migrations/'),
    // Topic names fixed by the public contract (seed 003): `workflow.completed`, `pipeline.failed`.
    topicNamespaces: ['workflow', 'pipeline'],
    openapi: openapiFiles(fragment('./workflows/workflows.openapi.yaml'), fragment('./executions/executions.openapi.yaml')),
    permissions: [
      { name: 'automation.workflows:read', description: 'See workflows and their definitions' },
      { name: 'automation.workflows:write', description: 'Create, change and delete workflows' },
      { name: 'automation.workflows:run', description: 'Start workflow executions by hand or by webhook' },
      { name: 'automation.executions:read', description: 'See workflow executions and their step timelines' },
      { name: 'automation.executions:write', description: 'Retry failed workflow executions and cancel running ones' },
    ],
    policies: [
      ...readers.flatMap((role) => ['automation.workflows:read', 'automation.executions:read'].map((permission) => ({ role, permission }))),
      ...['automation.workflows:write', 'automation.workflows:run', 'automation.executions:write'].map((permission) => ({ role: 'ops_engineer', permission })),
      ...['automation.workflows:run', 'automation.executions:write'].map((permission) => ({ role: 'automation_operator', permission })),
    ],
    events: [
      { topic: 'workflow.completed', description: 'A workflow execution finished (succeeded, failed or cancelled)', payloadSchema: executionPayload },
      {
        topic: 'pipeline.failed',
        description: 'A pipeline failed: a workflow execution (source `workflow`)',
        payloadSchema: { type: 'object', required: ['source'] },
      },
      {
        topic: 'workflow.notification',
        description: "A workflow's NOTIFY step, for the channel it names",
        payloadSchema: { type: 'object', required: ['executionId', 'workflowId', 'stepId', 'message'] },
      },
    ],
    jobs: [
      // One job drives one execution as far as it can go; a job lost or a node dead is covered by the resume sweep.
      {
        name: 'run',
        payloadSchema: {
          type: 'object',
          required: ['tenantId', 'executionId'],
          properties: { tenantId: { type: 'string' }, executionId: { type: 'string', format: 'uuid' } },
        },
        retry: { limit: 3, delaySeconds: 1 },
        expireInSeconds: 900,
        // An execution's job mostly waits on the database and on the steps' calls.
        concurrency: 16,
      },
    ],
    config: {
      ITOPS_AUTOMATION_LEASE_SECONDS: {
        type: 'integer',
        description: "Seconds beyond a step's timeout before another node takes over an execution whose node stopped",
        default: 30,
        minimum: 1,
        maximum: 3600,
      },
      ITOPS_AUTOMATION_RESUME_AFTER_SECONDS: {
        type: 'integer',
        description: 'Seconds an unfinished execution may go without progress or a live engine before the resume sweep queues it again',
        default: 30,
        minimum: 1,
        maximum: 3600,
      },
      ITOPS_AUTOMATION_SWEEP_INTERVAL_MS: {
        type: 'integer',
        description: 'How often one node looks for due cron workflows and stranded executions',
        default: 5000,
        minimum: 100,
        maximum: 600000,
      },
    },
    init(ctx) {
      const database = ctx.get(tokens.database);
      const events = ctx.get(tokens.events);
      const engine = new WorkflowEngine({
        database,
        events,
        jobs: ctx.get(tokens.jobs),
        outbound: ctx.get(tokens.outbound),
        logger: ctx.logger,
        leaseSeconds: ctx.config.ITOPS_AUTOMATION_LEASE_SECONDS as number,
      });
      options.engineReady?.(engine);
      const deps = { database, events, engine, logger: ctx.logger };
      const triggers = eventTriggers(deps);
      const refreshTriggers = () => {
        triggers.refresh().catch((error) => ctx.logger.warn({ err: error }, 'workflow trigger refresh failed'));
      };

      // Each handler runs behind an x-permission checked in a workspace, so `req.tenantId` is always set.
      const handlers: Record<string, (req: any) => unknown> = {
        ...workflowHandlers(database, refreshTriggers),
        ...executionHandlers(database, ctx.get(tokens.config), engine),
      };
      for (const [operationId, handler] of Object.entries(handlers)) ctx.handle(operationId, handler);
      // The templates document's `workflows:` section (served by the SLA plugin, when it is loaded).
      ctx.onUnload(ctx.get(tokens.templateSections).contribute(workflowTemplates(refreshTriggers)));

      ctx.job<{ tenantId: string; executionId: string }>('run', (payload) => engine.run(payload.tenantId, payload.executionId));
      ctx.onUnload(triggers.start());
      refreshTriggers();
      const timer = setInterval(refreshTriggers, 10_000);
      timer.unref();
      ctx.onUnload(() => clearInterval(timer));
      const resumeAfter = ctx.config.ITOPS_AUTOMATION_RESUME_AFTER_SECONDS as number;
      ctx.every('sweep', ctx.config.ITOPS_AUTOMATION_SWEEP_INTERVAL_MS as number, async () => {
        await cronRound(deps, new Date());
        await resumeRound(deps, resumeAfter);
      });
    },
  });
}

export default createAutomationPlugin();
