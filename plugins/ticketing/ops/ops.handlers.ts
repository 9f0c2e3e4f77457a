import { AppError, type DatabaseService } from '../../../core/plugin-api/index.ts';
import type { AlertTickets } from '../alert-rules/alert-tickets.ts';
import { policyFor } from '../sla-policies/policy-rows.ts';
import { type TicketPriority, ticketPriorities, ticketView } from '../tickets/ticket-rows.ts';
import type { TicketStore } from '../tickets/ticket-store.ts';
import { authorOf, type WorkspaceRequest } from '../tickets/tickets.handlers.ts';

export interface OpsServices {
  database: DatabaseService;
  store: TicketStore;
  alertTickets: AlertTickets;
}

type TicketAction<Body> = WorkspaceRequest<Body & { version?: number }, { id: string }>;

/** Fails with 409 when the caller named a version and the ticket moved on. */
function checkVersion(ticket: { version: number }, version: number | undefined) {
  if (version !== undefined && version !== ticket.version)
    throw new AppError('conflict', `The ticket is at version ${ticket.version}, not ${version}: read it again`, {
      details: { currentVersion: ticket.version },
    });
}

export async function linkAlertToTicket(
  services: OpsServices,
  req: WorkspaceRequest<{ ticketId?: string; createTicket?: boolean; priority?: TicketPriority; assignee?: string | null }, { id: string }>,
) {
  const { ticketId, createTicket, priority, assignee } = req.body;
  if (!ticketId === !createTicket)
    throw new AppError('validation_failed', 'Name a ticketId or ask for createTicket, not both', {
      details: [{ path: '/', message: 'ticketId xor createTicket' }],
    });
  return services.database.forTenant(req.tenantId).transaction(async (tx) => {
    const alert = await services.alertTickets.find(tx, req.params.id);
    if (ticketId) {
      await services.alertTickets.link(tx, ticketId, alert, null, authorOf(req));
      return { alertId: alert.id, created: false, ticket: ticketView(await services.store.get(tx, ticketId)) };
    }
    // A second click, or two operators at once: the alert's open ticket, not a duplicate of it.
    const existing = await services.alertTickets.openTicketOf(tx, alert);
    if (existing) return { alertId: alert.id, created: false, ticket: ticketView(existing) };
    const ticket = await services.alertTickets.open(tx, alert, { priority, assignee, ruleId: null, author: authorOf(req) });
    return { alertId: alert.id, created: true, ticket: ticketView(ticket) };
  });
}

/** Links an asset or a runbook: the link table, the ticket's `links`, and a timeline entry. */
async function linkThing(services: OpsServices, req: TicketAction<unknown>, kind: 'asset' | 'runbook', targetId: string) {
  const table = kind === 'asset' ? 'asset' : 'runbook';
  return services.database.forTenant(req.tenantId).transaction(async (tx) => {
    const ticket = await services.store.get(tx, req.params.id, true);
    checkVersion(ticket, req.body.version);
    const [target] = await tx.query<{ label: string }>(`SELECT ${kind === 'asset' ? 'name' : 'title'} AS label FROM ${table} WHERE id = ?`, [targetId]);
    if (!target) throw new AppError('not_found', `${kind === 'asset' ? 'Asset' : 'Runbook'} ${targetId} was not found`);
    const inserted = await tx.query(`INSERT INTO ticket_${table} (tenant_id, ticket_id, ${kind}_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1`, [
      tx.tenantId,
      ticket.id,
      targetId,
    ]);
    if (inserted.length === 0) return ticketView(ticket);
    await services.store.addEntry(tx, ticket.id, {
      kind: 'link',
      author: authorOf(req),
      body: `Linked ${kind}: ${target.label}`,
      data: { type: kind, target: targetId },
    });
    const after = await services.store.change(
      tx,
      ticket.id,
      { links: [...ticket.links, { type: kind, target: targetId }] },
      { author: authorOf(req), quiet: true },
    );
    return ticketView(after);
  });
}

export const linkTicketAsset = (services: OpsServices, req: TicketAction<{ assetId: string }>) => linkThing(services, req, 'asset', req.body.assetId);

export const linkTicketRunbook = (services: OpsServices, req: TicketAction<{ runbookId: string }>) => linkThing(services, req, 'runbook', req.body.runbookId);

/**
 * The escalation rules: priority one level up (or to the one asked, never down); the assignee
 * asked, else the SLA policy's rule for the new priority, else the current one. The reason, the
 * level and both changes go on the timeline in the same transaction.
 */
export async function escalateTicket(services: OpsServices, req: TicketAction<{ reason: string; priority?: TicketPriority; assignee?: string }>) {
  return services.database.forTenant(req.tenantId).transaction(async (tx) => {
    const ticket = await services.store.get(tx, req.params.id, true);
    checkVersion(ticket, req.body.version);
    if (ticket.status === 'resolved' || ticket.status === 'closed')
      throw new AppError('unprocessable', `A ${ticket.status} ticket cannot be escalated; reopen it first`);
    const rank = (p: TicketPriority) => ticketPriorities.indexOf(p);
    const asked = req.body.priority;
    if (asked && rank(asked) < rank(ticket.priority))
      throw new AppError('unprocessable', `Escalation never lowers the priority (${ticket.priority} to ${asked})`);
    const priority = asked ?? ticketPriorities[Math.min(rank(ticket.priority) + 1, ticketPriorities.length - 1)];
    const policy = await policyFor(tx.query, ticket.sla_policy_id);
    const ruled = policy?.escalation.find((rule) => rule.priority === priority)?.assignee ?? undefined;
    const assignee = req.body.assignee ?? ruled ?? ticket.assignee;
    if (priority === ticket.priority && assignee === ticket.assignee)
      throw new AppError('unprocessable', 'Nothing to escalate to: the ticket is urgent and no one else is named to take it');
    await services.store.addEntry(tx, ticket.id, {
      kind: 'escalation',
      author: authorOf(req),
      body: req.body.reason,
      data: {
        reason: req.body.reason,
        level: ticket.escalation_level + 1,
        priority: { from: ticket.priority, to: priority },
        assignee: { from: ticket.assignee, to: assignee },
        rule: ruled ? { policyId: policy?.id, priority } : null,
      },
    });
    const after = await services.store.change(tx, ticket.id, { priority, assignee }, { author: authorOf(req), reason: req.body.reason, escalate: true });
    return ticketView(after);
  });
}

export async function resolveTicket(
  services: OpsServices,
  req: TicketAction<{ resolution: string; internal?: boolean; timeSpentMinutes?: number; billable?: boolean }>,
) {
  return services.database.forTenant(req.tenantId).transaction(async (tx) => {
    const ticket = await services.store.get(tx, req.params.id, true);
    checkVersion(ticket, req.body.version);
    if (ticket.status === 'resolved' || ticket.status === 'closed') throw new AppError('conflict', `The ticket is already ${ticket.status}`);
    await services.store.comment(tx, ticket.id, {
      author: authorOf(req),
      body: req.body.resolution,
      visibility: req.body.internal ? 'internal' : 'public',
      timeSpentMinutes: req.body.timeSpentMinutes,
      billable: req.body.billable,
    });
    const after = await services.store.change(tx, ticket.id, { status: 'resolved' }, { author: authorOf(req), reason: req.body.resolution });
    return ticketView(after);
  });
}
