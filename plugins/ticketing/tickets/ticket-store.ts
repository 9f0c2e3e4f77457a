import { randomUUID } from 'node:crypto';
import { type AlertsService, AppError, type EventsService, type Tx } from '../../../core/plugin-api/index.ts';
import { ticketCreatedTopics } from '../ticketing-events.ts';
import { type PolicyRow, policyFor, targetsFor } from '../sla-policies/policy-rows.ts';
import { breachFingerprint } from '../sla-policies/sla-sweep.job.ts';
import { changeStatus, respond, retarget, type SlaClock, startClock } from '../sla-policies/sla-clock.ts';
import {
  clockColumnNames,
  clockOf,
  clockValues,
  type TicketEntryRow,
  type TicketLink,
  type TicketPriority,
  type TicketRow,
  type TicketStatus,
  ticketColumns,
  ticketView,
} from './ticket-rows.ts';

/** The editable fields, as the contract names them. */
export interface TicketInput {
  title?: string;
  description?: string;
  type?: string;
  status?: TicketStatus;
  priority?: TicketPriority;
  clientId?: string | null;
  assignee?: string | null;
  requester?: string | null;
  tags?: string[];
  links?: TicketLink[];
  slaPolicyId?: string | null;
}

export interface NewEntry {
  kind: string;
  visibility?: 'public' | 'internal';
  author: string;
  body?: string;
  data?: Record<string, unknown>;
  timeSpentMinutes?: number;
  billable?: boolean;
}

const fieldColumns: [keyof TicketInput, string][] = [
  ['title', 'title'],
  ['description', 'description'],
  ['type', 'type'],
  ['status', 'status'],
  ['priority', 'priority'],
  ['clientId', 'client_id'],
  ['assignee', 'assignee'],
  ['requester', 'requester'],
  ['tags', 'tags'],
  ['links', 'links'],
  ['slaPolicyId', 'sla_policy_id'],
];

/** Defaults a PUT gives the fields it leaves out. */
export const replaceDefaults: Required<Omit<TicketInput, 'title' | 'status' | 'slaPolicyId'>> = {
  description: '',
  type: 'incident',
  priority: 'medium',
  clientId: null,
  assignee: null,
  requester: null,
  tags: [],
  links: [],
};

const toDb = (key: keyof TicketInput, value: unknown) => (key === 'links' ? JSON.stringify(value) : value);

/**
 * Every ticket write, inside the caller's transaction: the row, its SLA clocks, the timeline
 * entries that record what changed, and the outbox event, so what is acknowledged is all there.
 * REST, GraphQL, ops actions and alert rules all write through here.
 */
export class TicketStore {
  constructor(private readonly deps: { events: EventsService; alerts: AlertsService; clock: () => Date }) {}

  async find(tx: Tx, id: string, lock = false): Promise<TicketRow | undefined> {
    const [row] = await tx.query<TicketRow>(`SELECT ${ticketColumns} FROM ticket WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [id]);
    return row;
  }

  async get(tx: Tx, id: string, lock = false): Promise<TicketRow> {
    const row = await this.find(tx, id, lock);
    if (!row) throw new AppError('not_found', `Ticket ${id} was not found`);
    return row;
  }

  async create(tx: Tx, input: TicketInput & { title: string }, author: string, source = 'manual'): Promise<TicketRow> {
    const now = this.deps.clock();
    const status = input.status ?? 'new';
    const priority = input.priority ?? 'medium';
    const policy = await policyFor(tx.query, input.slaPolicyId);
    const clock = startClock(now, status, targetsFor(policy, priority), policy?.calendar ?? null);
    const [row] = await tx.query<TicketRow>(
      `INSERT INTO ticket (id, tenant_id, title, description, type, status, priority, client_id, assignee, requester, tags, links, source,
         sla_policy_id, ${clockColumnNames.join(', ')}, resolved_at, closed_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${clockColumnNames.map(() => '?').join(', ')}, ?, ?, ?, ?)
       RETURNING ${ticketColumns}`,
      [
        randomUUID(),
        tx.tenantId,
        input.title,
        input.description ?? '',
        input.type ?? 'incident',
        status,
        priority,
        input.clientId ?? null,
        input.assignee ?? null,
        input.requester ?? null,
        input.tags ?? [],
        JSON.stringify(input.links ?? []),
        source,
        policy?.id ?? null,
        ...clockValues(clock),
        status === 'resolved' || status === 'closed' ? now : null,
        status === 'closed' ? now : null,
        now,
        now,
      ],
    );
    // One event, both of its public names (ticketCreatedTopics says why).
    const payload = { ticket: ticketView(row), by: author };
    await this.deps.events.publishMany(
      tx,
      ticketCreatedTopics.map((topic) => ({ topic, tenantId: tx.tenantId, payload })),
    );
    return row;
  }

  /**
   * Applies a change: `expectedVersion` (when given) must be the current one, else 409. Status,
   * priority, policy and assignee changes move the SLA clocks and are written to the timeline.
   */
  async change(
    tx: Tx,
    id: string,
    input: TicketInput,
    options: { expectedVersion?: number; author: string; reason?: string; escalate?: boolean; quiet?: boolean },
  ): Promise<TicketRow> {
    const before = await this.get(tx, id, true);
    if (options.expectedVersion !== undefined && options.expectedVersion !== before.version) {
      throw new AppError('conflict', `Ticket ${id} is at version ${before.version}, not ${options.expectedVersion}: read it again`, {
        details: { currentVersion: before.version },
      });
    }
    const now = this.deps.clock();
    const status = input.status ?? before.status;
    if (status === 'new' && before.status !== 'new') {
      throw new AppError('unprocessable', 'A ticket cannot go back to new; reopen it as open');
    }
    const priority = input.priority ?? before.priority;
    const policyChanged = input.slaPolicyId !== undefined && input.slaPolicyId !== before.sla_policy_id;
    const policy: PolicyRow | null = await policyFor(tx.query, policyChanged ? input.slaPolicyId : before.sla_policy_id);
    const calendar = policy?.calendar ?? null;

    let clock: SlaClock = clockOf(before);
    if (policyChanged || priority !== before.priority) clock = retarget(clock, targetsFor(policy, priority), now, calendar, before.status);
    if (status !== before.status) clock = changeStatus(clock, before.status, status, now, calendar);

    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [key, column] of fieldColumns) {
      if (input[key] === undefined || key === 'slaPolicyId') continue;
      sets.push(`${column} = ?`);
      params.push(toDb(key, input[key]));
    }
    sets.push('sla_policy_id = ?');
    params.push(policy?.id ?? null);
    for (const [i, column] of clockColumnNames.entries()) {
      sets.push(`${column} = ?`);
      params.push(clockValues(clock)[i]);
    }
    // A threshold moved into the future is notified again when it is crossed; a breach that happened stays recorded.
    sets.push('first_response_at_risk = first_response_at_risk AND coalesce(?::timestamptz <= ?::timestamptz, true)');
    params.push(clock.firstResponseWarnAt, now);
    sets.push('resolution_at_risk = resolution_at_risk AND coalesce(?::timestamptz <= ?::timestamptz, true)');
    params.push(clock.resolutionWarnAt, now);
    if (status !== before.status) {
      sets.push('resolved_at = ?', 'closed_at = ?');
      params.push(status === 'resolved' || status === 'closed' ? (before.resolved_at ?? now) : null, status === 'closed' ? now : null);
    }
    if (options.escalate) sets.push('escalation_level = escalation_level + 1');
    sets.push('version = version + 1', 'updated_at = ?');
    params.push(now);
    const [after] = await tx.query<TicketRow>(`UPDATE ticket SET ${sets.join(', ')} WHERE id = ? RETURNING ${ticketColumns}`, [...params, id]);

    const changes: NewEntry[] = [];
    const why = options.reason ? { reason: options.reason } : {};
    if (after.status !== before.status) changes.push({ kind: 'status', author: options.author, data: { from: before.status, to: after.status, ...why } });
    if (after.priority !== before.priority)
      changes.push({ kind: 'priority', author: options.author, data: { from: before.priority, to: after.priority, ...why } });
    if (after.assignee !== before.assignee)
      changes.push({ kind: 'assignment', author: options.author, data: { from: before.assignee, to: after.assignee, ...why } });
    if (policyChanged) changes.push({ kind: 'sla', author: options.author, data: { policyFrom: before.sla_policy_id, policyTo: after.sla_policy_id } });
    const other = fieldColumns
      .filter(([key]) => !['status', 'priority', 'assignee', 'slaPolicyId'].includes(key) && input[key] !== undefined)
      .map(([key]) => key);
    if (other.length > 0 && !options.quiet) changes.push({ kind: 'change', author: options.author, data: { fields: other } });
    for (const entry of changes) await this.addEntry(tx, id, entry);
    // A resolved ticket no longer gathers its alerts' further firings: a new firing opens a new ticket.
    if (after.status === 'resolved' || after.status === 'closed') await tx.query('UPDATE ticket_alert SET open = false WHERE ticket_id = ? AND open', [id]);
    // A resolved ticket's breach alerts have nothing left to call for.
    if ((after.status === 'resolved' || after.status === 'closed') && (after.first_response_breached || after.resolution_breached)) {
      await this.deps.alerts.resolveMany(tx, [
        { tenantId: tx.tenantId as string, fingerprint: breachFingerprint(id, 'first_response') },
        { tenantId: tx.tenantId as string, fingerprint: breachFingerprint(id, 'resolution') },
      ]);
    }
    await this.deps.events.publish(tx, {
      topic: 'ticket:updated',
      tenantId: tx.tenantId,
      payload: { ticket: ticketView(after), changes: changes.map((c) => c.kind) },
    });
    return after;
  }

  async delete(tx: Tx, id: string): Promise<void> {
    const [row] = await tx.query<{ id: string }>('DELETE FROM ticket WHERE id = ? RETURNING id', [id]);
    if (!row) throw new AppError('not_found', `Ticket ${id} was not found`);
    await this.deps.events.publish(tx, { topic: 'ticket:deleted', tenantId: tx.tenantId, payload: { id } });
  }

  async addEntry(tx: Tx, ticketId: string, entry: NewEntry): Promise<TicketEntryRow> {
    const [row] = await tx.query<TicketEntryRow>(
      `INSERT INTO ticket_entry (id, tenant_id, ticket_id, kind, visibility, author, body, data, time_spent_minutes, billable, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      [
        randomUUID(),
        tx.tenantId,
        ticketId,
        entry.kind,
        entry.visibility ?? 'internal',
        entry.author,
        entry.body ?? '',
        JSON.stringify(entry.data ?? {}),
        entry.timeSpentMinutes ?? 0,
        entry.billable ?? false,
        this.deps.clock(),
      ],
    );
    return row;
  }

  /**
   * A comment. The first public one by anyone but the requester is the first response: it stops
   * the first-response clock (comments do not change the ticket's version: they never conflict).
   */
  async comment(tx: Tx, id: string, comment: Omit<NewEntry, 'kind'>): Promise<TicketEntryRow> {
    const ticket = await this.get(tx, id, true);
    const entry = await this.addEntry(tx, id, { ...comment, kind: 'comment' });
    let after = ticket;
    if (comment.visibility === 'public' && comment.author !== ticket.requester && ticket.first_responded_at === null) {
      const policy = await policyFor(tx.query, ticket.sla_policy_id);
      const clock = respond(clockOf(ticket), this.deps.clock(), policy?.calendar ?? null);
      [after] = await tx.query<TicketRow>(
        `UPDATE ticket SET ${clockColumnNames.map((c) => `${c} = ?`).join(', ')}, updated_at = ? WHERE id = ? RETURNING ${ticketColumns}`,
        [...clockValues(clock), this.deps.clock(), id],
      );
    }
    await this.deps.events.publish(tx, { topic: 'ticket:updated', tenantId: tx.tenantId, payload: { ticket: ticketView(after), changes: ['comment'] } });
    return entry;
  }
}
