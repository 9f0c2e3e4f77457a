import { definePlugin, openapiFiles, type PluginManifest, tokens } from '../../core/plugin-api/index.ts';
import * as runtimeHandlers from './agent-runtime/runtime.handlers.ts';
import { runSmokeTest, smokeEventTopic, smokeJob, smokeJobHandler, smokeJobTopic } from './agent-runtime/smoke-test.ts';
import { AgentExecutor } from './agents/agent-executor.ts';
import { AgentRuns, agentRunCompleted } from './agents/agent-runs.ts';
import { ControlPlaneExecutor } from './agents/control-plane-executor.ts';
import { echoCapability } from './agents/echo-capability.ts';
import { executeAgent, getAgentRun } from './agents/execute.handlers.ts';
import { changeEvents, changeRecorded, pipelineFailed, receiveGithubWebhook } from './github/github-webhook.handler.ts';
import { workflowCompletedCallback } from './webhooks/workflow-completed.handler.ts';

const fragment = (path: string) => new URL(path, import.meta.url);

const readers = ['viewer', 'ops_engineer', 'automation_operator', 'integration_admin'];

/**
 * Automation (issue 19), part B: agent execution (built-in capabilities and the external control
 * plane with its signed callback) and GitHub change events. Part A (workflows and their durable
 * execution) joins this manifest; handlers are a plain map of operationId to handler for that.
 */
export function createAutomationPlugin(): PluginManifest {
  return definePlugin({
    id: 'automation',
    version: '0.1.0',
    host: '>=0.1.0 <1.0.0',
    migrations: fragment('./migrations/'),
    // Topic names fixed by the public contract (seed 003): `workflow.completed`, `pipeline.failed`.
    topicNamespaces: ['workflow', 'pipeline'],
    openapi: openapiFiles(
      fragment('./agents/agents.openapi.yaml'),
      fragment('./webhooks/workflow-completed.openapi.yaml'),
      fragment('./github/github.openapi.yaml'),
      fragment('./agent-runtime/agent-runtime.openapi.yaml'),
    ),
    permissions: [
      { name: 'automation.agents:execute', description: 'Run agent capabilities (POST /api/v1/execute/{agent}.{reasoner})' },
      { name: 'automation.agents:read', description: 'See agent runs' },
      { name: 'automation.changes:read', description: 'See change events (GitHub pushes, deployments, releases, pipeline runs)' },
      { name: 'automation.runtime:read', description: 'See the agent runtime: queues, failures, agents, health' },
      { name: 'automation.runtime:write', description: 'Retry failed jobs and outbox deliveries, run the runtime self-test' },
    ],
    policies: [
      { role: 'automation_operator', permission: 'automation.agents:execute' },
      { role: 'ops_engineer', permission: 'automation.agents:execute' },
      { role: 'ops_engineer', permission: 'automation.runtime:write' },
      ...readers.flatMap((role) =>
        ['automation.agents:read', 'automation.changes:read', 'automation.runtime:read'].map((permission) => ({ role, permission })),
      ),
    ],
    jobs: [
      {
        name: smokeJob,
        payloadSchema: { type: 'object', required: ['smokeId', 'tenantId'], properties: { smokeId: { type: 'string' }, tenantId: { type: 'string' } } },
        // A self-test reports what happened; it does not retry its way to a pass.
        retry: { limit: 0 },
        expireInSeconds: 60,
      },
    ],
    events: [
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
      {
        topic: pipelineFailed,
        description: 'A CI pipeline (GitHub workflow run) finished with a failure',
        payloadSchema: { type: 'object', required: ['changeEventId', 'repository', 'conclusion'] },
      },
    ],
    config: {
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
      const github = { database, events, secrets: ctx.get(tokens.secrets), enabled: githubEnabled };

      const runtime = {
        runtime: ctx.get(tokens.runtime),
        database,
        capabilities,
        controlPlane: { configured: url !== undefined, signed: secret !== undefined },
      };
      const smoke = { database, events, jobs: ctx.get(tokens.jobs), runs, capabilities };

      capabilities.register(echoCapability);

      const handlers: Record<string, (req: any) => unknown> = {
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
