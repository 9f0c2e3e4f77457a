import { Cron } from 'croner';
import { AppError } from '../../../core/plugin-api/index.ts';
import { referencesIn } from '../engine/expressions.ts';

export type TriggerKind = 'manual' | 'event' | 'cron' | 'webhook';

export interface WorkflowTrigger {
  type: TriggerKind;
  topic?: string;
  filter?: Record<string, string | number | boolean>;
  schedule?: string;
}

export type StepType = 'HTTP_REQUEST' | 'NOTIFY' | 'DELAY' | 'CONDITION' | 'SET_VARIABLE' | 'AGENT' | 'TICKET';

export interface WorkflowStep {
  id: string;
  type: StepType;
  name?: string;
  timeoutMs?: number;
  retry?: { limit?: number; delayMs?: number };
  retrySafe?: boolean;
  url?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  channel?: string;
  message?: string;
  severity?: 'info' | 'warning' | 'critical';
  seconds?: number;
  left?: unknown;
  op?: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'exists';
  right?: unknown;
  else?: string;
  variable?: string;
  value?: unknown;
  agent?: string;
  input?: unknown;
  ticketId?: string;
  title?: string;
  priority?: 'low' | 'medium' | 'high' | 'urgent';
  status?: 'new' | 'open' | 'pending' | 'resolved' | 'closed';
}

export interface WorkflowDefinition {
  trigger: WorkflowTrigger;
  steps: WorkflowStep[];
  output?: unknown;
}

/** Fields each step type needs, beyond what the contract's schema already requires of every step. */
const requiredFields: Record<StepType, (keyof WorkflowStep)[]> = {
  HTTP_REQUEST: ['url'],
  NOTIFY: ['message'],
  DELAY: ['seconds'],
  CONDITION: ['left', 'op'],
  SET_VARIABLE: ['variable', 'value'],
  AGENT: ['agent'],
  TICKET: [],
};

/** Steps with no effect outside the execution: re-running one after a crash is always safe. */
export const pureStepTypes: ReadonlySet<StepType> = new Set(['CONDITION', 'SET_VARIABLE', 'DELAY']);

/** The next time a cron schedule fires after `from` (UTC), or null when it never does. */
export function nextCronRun(schedule: string, from: Date): Date | null {
  return new Cron(schedule, { timezone: 'UTC', paused: true }).nextRun(from);
}

/**
 * What the contract's schema cannot say: the fields a trigger or step type needs, unique step ids,
 * a CONDITION's `else` naming a later step, references naming steps that ran before, a valid cron
 * schedule. All problems are reported at once, as `validation_failed` details.
 */
export function checkDefinition(definition: WorkflowDefinition): void {
  const problems: { path: string; message: string }[] = [];
  const { trigger, steps } = definition;
  if (trigger.type === 'event' && !trigger.topic) problems.push({ path: 'trigger.topic', message: 'an event trigger needs the topic it listens to' });
  if (trigger.type !== 'event' && (trigger.topic || trigger.filter))
    problems.push({ path: 'trigger', message: 'topic and filter belong to event triggers only' });
  if (trigger.type === 'cron') {
    if (!trigger.schedule) problems.push({ path: 'trigger.schedule', message: 'a cron trigger needs a schedule' });
    else {
      try {
        if (trigger.schedule.trim().split(/\s+/).length !== 5) throw new Error('five fields expected');
        nextCronRun(trigger.schedule, new Date());
      } catch (error) {
        problems.push({ path: 'trigger.schedule', message: `not a cron schedule of 5 fields: ${(error as Error).message}` });
      }
    }
  } else if (trigger.schedule) problems.push({ path: 'trigger.schedule', message: 'a schedule belongs to cron triggers only' });

  const seen = new Map<string, number>();
  steps.forEach((step, index) => {
    const at = `steps[${index}]`;
    if (seen.has(step.id)) problems.push({ path: `${at}.id`, message: `step id "${step.id}" is used twice` });
    seen.set(step.id, index);
    for (const field of requiredFields[step.type]) {
      if (step[field] === undefined) problems.push({ path: `${at}.${field}`, message: `a ${step.type} step needs ${field}` });
    }
    if (step.type === 'TICKET' && step.title === undefined && step.ticketId === undefined)
      problems.push({ path: at, message: 'a TICKET step needs title (to open a ticket) or ticketId (to update one)' });
    if (step.type !== 'TICKET' && (step.ticketId !== undefined || step.title !== undefined || step.priority !== undefined || step.status !== undefined))
      problems.push({ path: at, message: 'ticketId, title, priority and status belong to TICKET steps' });
    if (step.type === 'CONDITION' && step.op !== 'exists' && step.right === undefined)
      problems.push({ path: `${at}.right`, message: `a CONDITION with op ${step.op} needs right` });
    if (step.type !== 'HTTP_REQUEST' && (step.url || step.method || step.headers || step.body !== undefined))
      problems.push({ path: at, message: 'url, method, headers and body belong to HTTP_REQUEST steps' });
    for (const reference of referencesIn(step)) {
      const match = /^\$\.steps\.([A-Za-z_][A-Za-z0-9_]*)/.exec(reference);
      if (!/^\$\.(input|vars|steps|trigger)(\.|\[|$)/.test(reference)) {
        problems.push({ path: at, message: `reference ${reference} must start with $.input, $.vars, $.steps or $.trigger` });
      } else if (match && !(seen.has(match[1] as string) && (seen.get(match[1] as string) as number) < index)) {
        problems.push({ path: at, message: `reference ${reference} names no earlier step` });
      }
    }
  });
  steps.forEach((step, index) => {
    if (step.type !== 'CONDITION' || step.else === undefined || step.else === 'end') return;
    const target = seen.get(step.else);
    if (target === undefined || target <= index)
      problems.push({ path: `steps[${index}].else`, message: `else must be "end" or the id of a later step, not "${step.else}"` });
  });
  for (const reference of referencesIn(definition.output)) {
    if (!/^\$\.(input|vars|steps|trigger)(\.|\[|$)/.test(reference)) problems.push({ path: 'output', message: `reference ${reference} is not readable` });
  }
  if (problems.length > 0)
    throw new AppError('validation_failed', `The workflow definition is not valid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, {
      details: problems,
    });
}
