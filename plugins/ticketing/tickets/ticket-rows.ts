import { isoTimestamp } from '../../../core/plugin-api/index.ts';
import type { SlaClock } from '../sla-policies/sla-clock.ts';

export const ticketStatuses = ['new', 'open', 'pending', 'resolved', 'closed'] as const;
export const ticketPriorities = ['low', 'medium', 'high', 'urgent'] as const;
export type TicketStatus = (typeof ticketStatuses)[number];
export type TicketPriority = (typeof ticketPriorities)[number];

export interface TicketLink {
  type: 'ticket' | 'asset' | 'runbook' | 'alert' | 'url';
  target: string;
  note?: string;
}

/** A `ticket` row as the driver returns it (timestamps as Date). */
export interface TicketRow {
  id: string;
  tenant_id: string;
  number: number;
  title: string;
  description: string;
  type: string;
  status: TicketStatus;
  priority: TicketPriority;
  client_id: string | null;
  assignee: string | null;
  requester: string | null;
  tags: string[];
  links: TicketLink[];
  source: string;
  version: number;
  sla_policy_id: string | null;
  first_response_target_s: number | null;
  first_response_due_at: Date | null;
  first_response_warn_at: Date | null;
  first_responded_at: Date | null;
  resolution_target_s: number | null;
  resolution_elapsed_s: number;
  resolution_running_since: Date | null;
  resolution_due_at: Date | null;
  resolution_warn_at: Date | null;
  first_response_at_risk: boolean;
  first_response_breached: boolean;
  resolution_at_risk: boolean;
  resolution_breached: boolean;
  escalation_level: number;
  resolved_at: Date | null;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** The columns a ticket view needs (the generated search and check columns stay in the database). */
export const ticketColumns = `id, tenant_id, number, title, description, type, status, priority, client_id, assignee, requester, tags, links, source, version,
  sla_policy_id, first_response_target_s, first_response_due_at, first_response_warn_at, first_responded_at, resolution_target_s,
  resolution_elapsed_s, resolution_running_since, resolution_due_at, resolution_warn_at, first_response_at_risk, first_response_breached,
  resolution_at_risk, resolution_breached, escalation_level, resolved_at, closed_at, created_at, updated_at`;

/** The columns `ticketView` reads: a list page selects these alone (fewer values to parse per row). */
const viewColumnNames = [
  'id',
  'number',
  'title',
  'description',
  'type',
  'status',
  'priority',
  'client_id',
  'assignee',
  'requester',
  'tags',
  'links',
  'source',
  'version',
  'sla_policy_id',
  'first_response_due_at',
  'first_responded_at',
  'resolution_target_s',
  'resolution_elapsed_s',
  'resolution_running_since',
  'resolution_due_at',
  'first_response_at_risk',
  'first_response_breached',
  'resolution_at_risk',
  'resolution_breached',
  'escalation_level',
  'resolved_at',
  'closed_at',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof TicketRow)[];
export const ticketViewColumns = viewColumnNames.join(', ');
export type TicketViewRow = Pick<TicketRow, (typeof viewColumnNames)[number]>;

const iso = (d: Date | string | null) => (d === null ? null : isoTimestamp(d instanceof Date ? d : new Date(d)));

/** Ticket keys (`TCK-42`): what people and commit messages call a ticket. */
export const ticketKeyPrefix = 'TCK';
const ticketKeyPattern = new RegExp(`^${ticketKeyPrefix}-([1-9][0-9]{0,9})$`);
export const ticketKey = (number: number) => `${ticketKeyPrefix}-${number}`;
/** The workspace number a key names, or undefined for another system's key (`OPS-7`). */
export function ticketNumberOf(key: string): number | undefined {
  const match = ticketKeyPattern.exec(key);
  const number = match ? Number(match[1]) : Number.NaN;
  return Number.isSafeInteger(number) && number <= 2_147_483_647 ? number : undefined;
}

export function ticketView(row: TicketViewRow) {
  return {
    id: row.id,
    number: row.number,
    key: ticketKey(row.number),
    title: row.title,
    description: row.description,
    type: row.type as 'incident' | 'service_request' | 'change' | 'problem',
    status: row.status,
    priority: row.priority,
    clientId: row.client_id,
    assignee: row.assignee,
    requester: row.requester,
    tags: row.tags,
    links: row.links,
    source: row.source,
    version: row.version,
    sla: {
      policyId: row.sla_policy_id,
      firstResponseDueAt: iso(row.first_response_due_at),
      firstRespondedAt: iso(row.first_responded_at),
      resolutionDueAt: iso(row.resolution_due_at),
      resolutionElapsedSeconds: row.resolution_elapsed_s,
      paused: row.resolution_target_s !== null && row.resolution_running_since === null,
      atRisk: row.first_response_at_risk || row.resolution_at_risk,
      firstResponseBreached: row.first_response_breached,
      resolutionBreached: row.resolution_breached,
    },
    escalationLevel: row.escalation_level,
    resolvedAt: iso(row.resolved_at),
    closedAt: iso(row.closed_at),
    createdAt: iso(row.created_at) as string,
    updatedAt: iso(row.updated_at) as string,
  };
}

export type TicketView = ReturnType<typeof ticketView>;

// The driver may hand timestamps over as Date or as text: the clock works on Dates.
const at = (value: Date | string | null) => (value === null ? null : new Date(value));

export function clockOf(row: TicketRow): SlaClock {
  return {
    createdAt: new Date(row.created_at),
    firstResponseTargetS: row.first_response_target_s,
    firstResponseDueAt: at(row.first_response_due_at),
    firstResponseWarnAt: at(row.first_response_warn_at),
    firstRespondedAt: at(row.first_responded_at),
    resolutionTargetS: row.resolution_target_s,
    resolutionElapsedS: row.resolution_elapsed_s,
    resolutionRunningSince: at(row.resolution_running_since),
    resolutionDueAt: at(row.resolution_due_at),
    resolutionWarnAt: at(row.resolution_warn_at),
  };
}

/** The clock's columns, in the order of `clockColumnNames`. */
export const clockColumnNames = [
  'first_response_target_s',
  'first_response_due_at',
  'first_response_warn_at',
  'first_responded_at',
  'resolution_target_s',
  'resolution_elapsed_s',
  'resolution_running_since',
  'resolution_due_at',
  'resolution_warn_at',
] as const;

export const clockValues = (clock: SlaClock) => [
  clock.firstResponseTargetS,
  clock.firstResponseDueAt,
  clock.firstResponseWarnAt,
  clock.firstRespondedAt,
  clock.resolutionTargetS,
  clock.resolutionElapsedS,
  clock.resolutionRunningSince,
  clock.resolutionDueAt,
  clock.resolutionWarnAt,
];

export interface TicketEntryRow {
  id: string;
  ticket_id: string;
  kind: string;
  visibility: 'public' | 'internal';
  author: string;
  body: string;
  data: Record<string, unknown>;
  time_spent_minutes: number;
  billable: boolean;
  created_at: Date;
}

export const entryView = (row: TicketEntryRow) => ({
  id: row.id,
  ticketId: row.ticket_id,
  kind: row.kind as 'comment' | 'status' | 'priority' | 'assignment' | 'link' | 'sla' | 'alert' | 'escalation' | 'change',
  visibility: row.visibility,
  author: row.author,
  body: row.body,
  data: row.data,
  timeSpentMinutes: row.time_spent_minutes,
  billable: row.billable,
  createdAt: new Date(row.created_at).toISOString(),
});
