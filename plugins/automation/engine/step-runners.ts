import type { OutboundHttpService } from '../../../core/plugin-api/index.ts';
import type { WorkflowStep } from '../workflows/workflow-definition.ts';
import { type ComparisonOp, compare, resolve } from './expressions.ts';

/** What the steps read: `$.input`, `$.vars`, `$.steps.<id>.output`, `$.trigger`. */
export interface StepScope {
  input: unknown;
  vars: Record<string, unknown>;
  steps: Record<string, { output: unknown }>;
  trigger: unknown;
}

export type StepOutcome =
  | {
      ok: true;
      output: unknown /** A step id to go on with, or `end`. */;
      next?: string;
      vars?: Record<string, unknown>;
      notify?: Record<string, unknown>;
      delaySeconds?: number;
    }
  | { ok: false; code: string; message: string };

/** How an AGENT step's run ended (the agent run's own record keeps the rest). */
export interface AgentStepRun {
  id: string;
  status: 'running' | 'succeeded' | 'failed' | 'timed_out';
  result: unknown;
  failureCode: string | null;
  failureMessage: string | null;
}

/** Runs `{agent}.{reasoner}` for a workspace and waits for its run to end (or `timeoutMs` to pass). */
export type RunAgent = (tenantId: string, target: string, input: unknown, timeoutMs: number) => Promise<AgentStepRun>;

/** Opens or changes a ticket in the workspace (the ticketing plugin's service, in a transaction of its own); undefined when ticketing is not loaded. */
export type TicketSteps = () =>
  | {
      open(tenantId: string, input: { title: string; description?: string; priority?: WorkflowStep['priority'] }): Promise<unknown>;
      update(
        tenantId: string,
        id: string,
        change: { comment?: string; status?: WorkflowStep['status']; priority?: WorkflowStep['priority'] },
      ): Promise<unknown>;
    }
  | undefined;

/** What steps may use besides their scope. */
export interface StepContext {
  tenantId: string;
  outbound: OutboundHttpService;
  runAgent?: RunAgent;
  tickets?: TicketSteps;
  /** Whether the workspace has this notification channel (NOTIFY sends to it). */
  channelExists?: (channelId: string) => Promise<boolean>;
  /** Aborts when the execution is cancelled while the step runs: the step stops waiting and fails as `cancelled`. */
  signal?: AbortSignal;
}

/** A step failure the execution reports as its failureCode. */
export class StepFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const defaultTimeoutMs = 30_000;
const maxKeptBody = 64 * 1024;

function responseBody(body: Buffer, contentType: string | undefined): unknown {
  const text = body.subarray(0, maxKeptBody).toString('utf8');
  if (contentType?.includes('json') && body.length <= maxKeptBody) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

async function httpRequest(
  outbound: OutboundHttpService,
  step: WorkflowStep,
  scope: StepScope,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<StepOutcome> {
  const url = String(resolve(step.url, scope));
  const method = step.method ?? (step.body === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = Object.fromEntries(Object.entries(step.headers ?? {}).map(([k, v]) => [k, String(resolve(v, scope))]));
  let body: string | undefined;
  if (step.body !== undefined) {
    const value = resolve(step.body, scope);
    body = typeof value === 'string' ? value : JSON.stringify(value);
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type'))
      headers['content-type'] = typeof value === 'string' ? 'text/plain' : 'application/json';
  }
  let response: Awaited<ReturnType<OutboundHttpService['request']>>;
  try {
    response = await outbound.request(url, { method, headers, body, timeoutMs, maxResponseBytes: 1024 * 1024, signal });
  } catch (error) {
    if (signal?.aborted) throw cancelled(step.id);
    const name = (error as Error)?.name;
    if (name === 'OutboundBlockedError') throw new StepFailure('outbound_blocked', (error as Error).message);
    // The outbound guard's own deadline says so in its message (its error has no class of its own).
    if (name === 'TimeoutError' || name === 'AbortError' || /no complete answer within/.test(String((error as Error)?.message)))
      throw new StepFailure('timeout', `${method} ${url} took longer than ${timeoutMs} ms`);
    throw new StepFailure('http_error', `${method} ${url}: ${(error as Error)?.message ?? error}`);
  }
  const contentType = response.headers['content-type'];
  const output = { status: response.status, body: responseBody(response.body, Array.isArray(contentType) ? contentType[0] : contentType) };
  if (response.status >= 400) throw new StepFailure('http_status', `${method} ${url} answered ${response.status}`);
  return { ok: true, output };
}

async function agentStep(context: StepContext, step: WorkflowStep, scope: StepScope, timeoutMs: number): Promise<StepOutcome> {
  if (!context.runAgent) throw new StepFailure('agents_unavailable', 'no agent executor is running');
  let run: AgentStepRun;
  try {
    run = await context.runAgent(context.tenantId, step.agent as string, resolve(step.input ?? {}, scope), timeoutMs);
  } catch (error) {
    // The executor refuses as the execute endpoint would: no such capability, or an input its schema rejects.
    const code = (error as { code?: string }).code;
    throw new StepFailure(
      code === 'not_found' ? 'agent_not_found' : code === 'validation_failed' ? 'agent_input_invalid' : 'agent_failed',
      String((error as Error).message),
    );
  }
  if (run.status === 'succeeded') return { ok: true, output: { runId: run.id, result: run.result } };
  if (run.status === 'running' || run.status === 'timed_out')
    throw new StepFailure('timeout', `${step.agent} (run ${run.id}) did not finish within ${timeoutMs} ms`);
  throw new StepFailure('agent_failed', `${step.agent} (run ${run.id}) failed: ${run.failureCode ?? ''} ${run.failureMessage ?? ''}`.trim());
}

async function ticketStep(context: StepContext, step: WorkflowStep, scope: StepScope): Promise<StepOutcome> {
  const tickets = context.tickets?.();
  if (!tickets) throw new StepFailure('ticketing_unavailable', 'the ticketing plugin is not loaded');
  const message = step.message === undefined ? undefined : String(resolve(step.message, scope));
  try {
    if (step.ticketId === undefined) {
      const opened = await tickets.open(context.tenantId, { title: String(resolve(step.title, scope)), description: message, priority: step.priority });
      return { ok: true, output: opened };
    }
    const changed = await tickets.update(context.tenantId, String(resolve(step.ticketId, scope)), {
      comment: message,
      status: step.status,
      priority: step.priority,
    });
    return { ok: true, output: changed };
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new StepFailure(code === 'not_found' ? 'ticket_not_found' : 'ticket_refused', String((error as Error).message));
  }
}

const cancelled = (stepId: string) => new StepFailure('cancelled', `step ${stepId} was stopped: the execution was cancelled`);

/**
 * Rejects with a `timeout` failure after `ms`, or a `cancelled` one when `signal` aborts, whatever the
 * step is doing: an agent or ticket call that cannot itself be interrupted is no longer waited for.
 */
function deadline<T>(work: Promise<T>, ms: number, stepId: string, signal: AbortSignal | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepFailure('timeout', `step ${stepId} took longer than its ${ms} ms`)), ms);
    onAbort = () => reject(cancelled(stepId));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, expired]).finally(() => {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  });
}

/**
 * Runs one step and says what it produced. HTTP_REQUEST, AGENT and TICKET act outside the execution's own rows; the others
 * compute (CONDITION, SET_VARIABLE), or ask the engine to act in the step's own transaction
 * (NOTIFY publishes its event there; DELAY parks the execution).
 */
export async function runStep(context: StepContext, step: WorkflowStep, scope: StepScope): Promise<StepOutcome> {
  const timeoutMs = step.timeoutMs ?? defaultTimeoutMs;
  try {
    switch (step.type) {
      case 'HTTP_REQUEST':
        return await deadline(httpRequest(context.outbound, step, scope, timeoutMs, context.signal), timeoutMs + 50, step.id, context.signal);
      case 'TICKET':
        return await deadline(ticketStep(context, step, scope), timeoutMs, step.id, context.signal);
      case 'AGENT':
        return await deadline(agentStep(context, step, scope, timeoutMs), timeoutMs + 1000, step.id, context.signal);
      case 'SET_VARIABLE': {
        const value = resolve(step.value, scope);
        return { ok: true, output: { [step.variable as string]: value }, vars: { [step.variable as string]: value } };
      }
      case 'CONDITION': {
        const result = compare(resolve(step.left, scope), step.op as ComparisonOp, resolve(step.right, scope));
        return { ok: true, output: { result }, ...(result ? {} : { next: step.else ?? 'end' }) };
      }
      case 'NOTIFY': {
        // Checked when the workflow was saved; a channel deleted since fails the step instead of vanishing the message.
        if (step.channel && context.channelExists && !(await context.channelExists(step.channel)))
          throw new StepFailure('channel_not_found', `no notification channel ${step.channel} in this workspace`);
        const notification = { channel: step.channel ?? null, severity: step.severity ?? 'info', message: String(resolve(step.message, scope)) };
        return { ok: true, output: notification, notify: notification };
      }
      case 'DELAY':
        return { ok: true, output: { seconds: step.seconds }, delaySeconds: step.seconds ?? 0 };
    }
  } catch (error) {
    if (error instanceof StepFailure) return { ok: false, code: error.code, message: error.message };
    return { ok: false, code: 'step_error', message: String((error as Error)?.message ?? error) };
  }
}
