import { definePlugin, openapiFiles, type PluginManifest, ticketAutomationToken, tokens } from '../../core/plugin-api/index.ts';
import * as runtimeHandlers from './agent-runtime/runtime.handlers.ts';
import { runSmokeTest, smokeEventTopic, smokeJob, smokeJobHandler, smokeJobTopic } from './agent-runtime/smoke-test.ts';
import { AgentExecutor, runAgentStep } from './agents/agent-executor.ts';
import { AgentRuns, agentRunCompleted } from './agents/agent-runs.ts';
import { ControlPlaneExecutor } from './agents/control-plane-executor.ts';
import { echoCapability } from './agents/echo-capability.ts';
import { executeAgent, getAgentRun } from './agents/execute.handlers.ts';
import { WorkflowEngine } from './engine/workflow-engine.ts';
import { cronRound, eventTriggers, resumeRound } from './engine/workflow-triggers.ts';
import { executionCounters } from './executions/execution-counters.ts';
import { executionHandlers } from './executions/executions.handlers.ts';
import { changeEvents, changeRecorded, pipelineFailed, receiveGithubWebhook } from './github/github-webhook.handler.ts';
import { workflowCompletedCallback } from './webhooks/workflow-completed.handler.ts';
import { workflowTemplates } from './workflows/workflow-templates.ts';
import { receiveWorkflowWebhook, rotateWorkflowWebhookSecret } from './workflows/workflow-webhook.ts';
import { workflowHandlers } from './workflows/workflows.handlers.ts';

const fragment = (path: string) => new URL(path, import.meta.url);

const readers = ['viewer', 'ops_engineer', 'automation_operator', 'integration_admin', 'data_admin'];

const executionPayload = {
  type: 'object',
  required: ['executionId', 'workflowId', 'status'],
  properties: { executionId: { type: 'string' }, workflowId: { type: 'string' }, status: { type: 'string' } },
};

export interface AutomationOptions {
  /** Hands the engine over once it exists (the benchmark starts executions with it directly). */
  engineReady?: (engine: WorkflowEngine) => void;
}

/**
 * Automation (issue 19, seeds 003 and 001): workflows as data with durable executions on pg-boss;
 * agent execution (built-in capabilities and the external control plane with its signed callback);
 * GitHub change events; the agent runtime's view. Handlers are one map of operationId to handler.
 */
export function createAutomationPlugin(options: AutomationOptions = {}): PluginManifest {
  return definePlugin({
    id: 'automation',
    version: '0.1.0',
    host: '>=0.1.0 <1.0.0',
    migrations: fragment('./migrations/'),
    // TICKET steps open and change tickets through the ticketing plugin when it is loaded.
    optionalRequires: ['ticketing'],
    // Topic names fixed by the public contract (seed 003): `workflow.completed`, `pipeline.failed`.
    topicNamespaces: ['workflow', 'pipeline'],
    dashboardCounters: executionCounters,
    openapi: openapiFiles(
      fragment('./workflows/workflows.openapi.yaml'),
      fragment('./workflows/workflow-webhook.openapi.yaml'),
      fragment('./executions/executions.openapi.yaml'),
      fragment('./agents/agents.openapi.yaml'),
      fragment('./webhooks/workflow-completed.openapi.yaml'),
      fragment('./github/github.openapi.yaml'),
      fragment('./agent-runtime/agent-runtime.openapi.yaml'),
    ),
    console: {
      pages: [
        {
          path: 'workflows',
          title: 'Workflows',
          navGroup: 'Automation',
          permission: 'automation.workflows:read',
          list: '/api/v1/workflows',
          columns: ['name', 'enabled', 'description', 'nextRunAt', 'updatedAt'],
          create: { operation: 'createWorkflow', label: 'New workflow' },
          record: {
            actions: [{ operation: 'runWorkflow', label: 'Run now' }],
            lists: [{ operation: 'listWorkflowVersions', title: 'Versions', columns: ['version', 'name', 'createdBy', 'createdAt'] }],
          },
        },
        {
          path: 'workflow-executions',
          title: 'Executions',
          navGroup: 'Automation',
          permission: 'automation.executions:read',
          list: '/api/v1/workflow-executions',
          columns: ['workflowName', 'status', 'triggerKind', 'queuedAt', 'durationMs', 'failureMessage'],
          record: {
            actions: [
              { operation: 'retryWorkflowExecution', label: 'Retry' },
              { operation: 'cancelWorkflowExecution', label: 'Cancel execution' },
            ],
          },
        },
        {
          path: 'change-events',
          title: 'Change events',
          navGroup: 'Automation',
          permission: 'automation.changes:read',
          list: '/api/v1/change-events',
          columns: ['title', 'kind', 'repository', 'status', 'actor', 'occurredAt'],
        },
      ],
    },
    permissions: [
      { name: 'automation.workflows:read', description: 'See workflows and their definitions' },
      { name: 'automation.workflows:write', description: 'Create, change and delete workflows' },
      { name: 'automation.workflows:run', description: 'Start workflow executions by hand or by webhook' },
      { name: 'automation.executions:read', description: 'See workflow executions and their step timelines' },
      { name: 'automation.executions:write', description: 'Retry failed workflow executions and cancel running ones' },
      { name: 'automation.agents:execute', description: 'Run agent capabilities (POST /api/v1/execute/{agent}.{reasoner})' },
      { name: 'automation.agents:read', description: 'See agent runs' },
      { name: 'automation.changes:read', description: 'See change events (GitHub pushes, deployments, releases, pipeline runs)' },
      { name: 'automation.runtime:read', description: 'See the agent runtime: queues, failures, agents, health' },
      { name: 'automation.runtime:write', description: 'Retry failed jobs and outbox deliveries, run the runtime self-test' },
    ],
    policies: [
      ...readers.flatMap((role) =>
        ['automation.workflows:read', 'automation.executions:read', 'automation.agents:read', 'automation.changes:read', 'automation.runtime:read'].map(
          (permission) => ({ role, permission }),
        ),
      ),
      ...['automation.workflows:write', 'automation.workflows:run', 'automation.executions:write', 'automation.agents:execute', 'automation.runtime:write'].map(
        (permission) => ({ role: 'ops_engineer', permission }),
      ),
      ...['automation.workflows:run', 'automation.executions:write', 'automation.agents:execute'].map((permission) => ({
        role: 'automation_operator',
        permission,
      })),
    ],
    events: [
      { topic: 'workflow.completed', description: 'A workflow execution finished (succeeded, failed or cancelled)', payloadSchema: executionPayload },
      {
        topic: pipelineFailed,
        description: 'A pipeline failed: a workflow execution (source `workflow`) or a GitHub workflow run (source `github`)',
        payloadSchema: { type: 'object', required: ['source'] },
      },
      {
        topic: 'workflow.notification',
        description: "A workflow's NOTIFY step, for the channel it names",
        payloadSchema: { type: 'object', required: ['executionId', 'workflowId', 'stepId', 'message'] },
      },
      { topic: smokeEventTopic, description: 'The runtime self-test: an event round trip', payloadSchema: { type: 'object', required: ['smokeId'] } },
      { topic: smokeJobTopic, description: 'The runtime self-test: its job ran', payloadSchema: { type: 'object', required: ['smokeId'] } },
      {
        topic: agentRunCompleted,
        description: 'An agent run ended (succeeded, failed or timed out)',
        payloadSchema: { type: 'object', required: ['runId', 'target', 'status'] },
      },
      {
        topic: changeRecorded,
        description: 'A change (push, deployment, release, pipeline run) was recorded',
        payloadSchema: { type: 'object', required: ['changeEventId', 'kind'] },
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
      {
        name: smokeJob,
        payloadSchema: { type: 'object', required: ['smokeId', 'tenantId'], properties: { smokeId: { type: 'string' }, tenantId: { type: 'string' } } },
        // A self-test reports what happened; it does not retry its way to a pass.
        retry: { limit: 0 },
        expireInSeconds: 60,
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
      ITOPS_AUTOMATION_CONTROL_PLANE_URL: {
        type: 'string',
        description: 'The external agent control plane runs are posted to when no built-in capability matches (unset: none)',
        maxLength: 2000,
        format: 'uri',
      },
      ITOPS_AUTOMATION_CONTROL_PLANE_SECRET: {
        type: 'string',
        description: "HMAC secret of the control plane: signs the runs sent to it and checks its callbacks' x-agentfield-signature",
        minLength: 16,
        maxLength: 500,
      },
      ITOPS_AUTOMATION_AGENT_TIMEOUT_SECONDS: {
        type: 'integer',
        description: 'Default total deadline of an agent run, in seconds',
        default: 300,
        minimum: 1,
        maximum: 86400,
      },
      ITOPS_AUTOMATION_DISPATCH_TIMEOUT_SECONDS: {
        type: 'integer',
        description: 'Longest wait for the control plane to accept a run, in seconds (within the run deadline)',
        default: 10,
        minimum: 1,
        maximum: 300,
      },
      ITOPS_AUTOMATION_GITHUB_WEBHOOK_ENABLED: {
        type: 'boolean',
        description: 'Whether POST /api/v1/integrations/github/webhook is served (false: 404). The seed name GITHUB_WEBHOOK_ENABLED is read too',
        default: true,
      },
    },
    init(ctx) {
      const database = ctx.get(tokens.database);
      const events = ctx.get(tokens.events);
      const channels = ctx.get(tokens.channels);
      const engine = new WorkflowEngine({
        database,
        events,
        channels,
        jobs: ctx.get(tokens.jobs),
        outbound: ctx.get(tokens.outbound),
        // AGENT steps run through the same executor as POST /api/v1/execute (built below).
        runAgent: (tenantId, target, input, timeoutMs) => runAgentStep({ agents, runs }, tenantId, target, input, timeoutMs),
        // Looked up at each step: ticketing may be licensed, or not, after this plugin loaded.
        tickets: () => {
          const tickets = ctx.find(ticketAutomationToken);
          if (!tickets) return undefined;
          const author = 'workflow';
          return {
            open: (tenantId, input) => database.forTenant(tenantId).transaction((tx) => tickets.open(tx, input, author)),
            update: (tenantId, id, change) => database.forTenant(tenantId).transaction((tx) => tickets.update(tx, id, change, author)),
          };
        },
        logger: ctx.logger,
        leaseSeconds: ctx.config.ITOPS_AUTOMATION_LEASE_SECONDS as number,
      });
      options.engineReady?.(engine);
      const deps = { database, events, engine, logger: ctx.logger };
      const triggers = eventTriggers(deps);
      const refreshTriggers = () => {
        triggers.refresh().catch((error) => ctx.logger.warn({ err: error }, 'workflow trigger refresh failed'));
      };

      const validator = ctx.get(tokens.validator);
      const capabilities = ctx.get(tokens.capabilities);
      const config = ctx.get(tokens.config);
      const runs = new AgentRuns(database, events);
      const url = ctx.config.ITOPS_AUTOMATION_CONTROL_PLANE_URL as string | undefined;
      const secret = ctx.config.ITOPS_AUTOMATION_CONTROL_PLANE_SECRET as string | undefined;
      if (url && !secret)
        ctx.logger.warn('ITOPS_AUTOMATION_CONTROL_PLANE_URL is set without ITOPS_AUTOMATION_CONTROL_PLANE_SECRET: callbacks are not verified');
      const controlPlane = url
        ? new ControlPlaneExecutor(
            ctx.get(tokens.outbound),
            runs,
            {
              url,
              secret,
              dispatchTimeoutMs: (ctx.config.ITOPS_AUTOMATION_DISPATCH_TIMEOUT_SECONDS as number) * 1000,
              callbackUrl: () => config.absoluteUrl('/api/v1/webhooks/workflow-completed'),
            },
            ctx.logger,
          )
        : undefined;
      // What workflow steps that run an agent call too.
      const agents = new AgentExecutor({
        runs,
        capabilities,
        validator,
        controlPlane,
        defaultTimeoutSeconds: ctx.config.ITOPS_AUTOMATION_AGENT_TIMEOUT_SECONDS as number,
      });
      const githubEnabled = githubWebhookEnabled(ctx.config.ITOPS_AUTOMATION_GITHUB_WEBHOOK_ENABLED as boolean);
      const secrets = ctx.get(tokens.secrets);
      const hooks = { database, secrets, config, engine };
      const github = { database, events, secrets, enabled: githubEnabled, tickets: () => ctx.find(ticketAutomationToken) };

      const runtime = {
        runtime: ctx.get(tokens.runtime),
        database,
        capabilities,
        controlPlane: { configured: url !== undefined, signed: secret !== undefined },
      };
      const smoke = { database, events, jobs: ctx.get(tokens.jobs), runs, capabilities, engine };

      capabilities.register(echoCapability);

      // Each handler runs behind an x-permission checked in a workspace (or is public and finds its own), so `req.tenantId` is set where used.
      const handlers: Record<string, (req: any) => unknown> = {
        ...workflowHandlers({ database, channels, secrets, config }, refreshTriggers),
        rotateWorkflowWebhookSecret: (req) => rotateWorkflowWebhookSecret(hooks, req),
        receiveWorkflowWebhook: (req) => receiveWorkflowWebhook(hooks, req),
        ...executionHandlers(database, ctx.get(tokens.config), engine),
        executeAgent: (req) => executeAgent(agents, req),
        getAgentRun: (req) => getAgentRun(runs, req),
        workflowCompletedCallback: (req) => workflowCompletedCallback({ database, runs, validator, secret }, req),
        receiveGithubWebhook: (req) => receiveGithubWebhook(github, req),
        listChangeEvents: (req) => changeEvents.page(database.forTenant(req.tenantId), req.query),
        getAgentRuntimeHealth: (req) => runtimeHandlers.runtimeHealth(runtime, req),
        listAgentRuntimeQueues: () => runtimeHandlers.runtimeQueues(runtime),
        listAgentRuntimeFailures: (req) => runtimeHandlers.runtimeFailures(runtime, req),
        listAgentRuntimeAgents: (req) => runtimeHandlers.runtimeAgents(runtime, req),
        retryOutboxFailure: (req) => runtimeHandlers.retryOutboxFailure(runtime, req),
        retryJobFailure: (req) => runtimeHandlers.retryJobFailure(runtime, req),
        runAgentRuntimeSmoke: (req) => runSmokeTest(smoke, req.tenantId, req.principal?.id ?? null),
      };
      for (const [operationId, handler] of Object.entries(handlers)) ctx.handle(operationId, handler);
      // The templates document's `workflows:` section (served by the SLA plugin, when it is loaded).
      ctx.onUnload(ctx.get(tokens.templateSections).contribute(workflowTemplates(channels, refreshTriggers)));

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

      ctx.job(smokeJob, (payload: { smokeId: string; tenantId: string }) => smokeJobHandler({ database, events }, payload));
      // Runs whose control plane never called back (or whose node died mid-run) end as timed out.
      ctx.every('agent_run_deadlines', 15_000, () => runs.expireOverdue());
      ctx.every('callback_delivery_retention', 60 * 60_000, () => runs.forgetOldDeliveries());
    },
  });
}
/**
 * `ITOPS_AUTOMATION_GITHUB_WEBHOOK_ENABLED`, unless the seed's own name `GITHUB_WEBHOOK_ENABLED` is
 * set to false: existing deployments switch the route off with that name.
 */
function githubWebhookEnabled(own: boolean): () => boolean {
  const seedName = process.env.GITHUB_WEBHOOK_ENABLED;
  const seedOff = seedName !== undefined && ['false', '0', 'no', 'off'].includes(seedName.trim().toLowerCase());
  return () => own && !seedOff;
}

export default createAutomationPlugin();
