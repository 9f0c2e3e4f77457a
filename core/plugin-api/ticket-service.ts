import type { Tx } from '../db/sql-handles.ts';
import { createServiceToken } from './tokens.ts';

/** A ticket as a client of the MSP may see it: no assignee, internal notes or SLA internals. */
export interface ClientTicket {
  id: string;
  title: string;
  description: string;
  type: string;
  status: 'new' | 'open' | 'pending' | 'resolved' | 'closed';
  priority: 'low' | 'medium' | 'high' | 'urgent';
  requester: string | null;
  /** The public comments, oldest first (at most the latest 50). */
  conversation: { author: string; body: string; createdAt: string }[];
  createdAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  closedAt: string | null;
}

/** Ticket counts of one client, for summaries. */
export interface ClientTicketCounts {
  open: number;
  awaitingClient: number;
  resolved: number;
  total: number;
}

/**
 * The ticketing plugin's tickets for one client (the MSP's customer), offered to plugins that
 * require `ticketing` (the client portal), so there is one ticket model. Every call runs in the
 * caller's workspace transaction and sees only tickets whose `clientId` is the one given: another
 * client's ticket is "not found" (AppError not_found).
 */
export interface TicketsService {
  listForClient(tx: Tx, clientId: string, query: { limit: number; offset: number; status?: string }): Promise<{ items: ClientTicket[]; total: number }>;
  getForClient(tx: Tx, clientId: string, id: string): Promise<ClientTicket>;
  createForClient(
    tx: Tx,
    clientId: string,
    input: { title: string; description?: string; type?: string; priority?: ClientTicket['priority'] },
    requester: string,
  ): Promise<ClientTicket>;
  /** A public comment by the client's person. */
  commentForClient(tx: Tx, clientId: string, id: string, comment: { author: string; body: string }): Promise<ClientTicket>;
  /** Opens a resolved or closed ticket again (AppError conflict for one that is not). */
  reopenForClient(tx: Tx, clientId: string, id: string, author: string): Promise<ClientTicket>;
  countsForClient(tx: Tx, clientId: string): Promise<ClientTicketCounts>;
}

/** Provided by the ticketing plugin; get it with `ctx.get(ticketsServiceToken)` after `requires: ['ticketing']`. */
export const ticketsServiceToken = createServiceToken<TicketsService>('ticketing tickets for clients');

/** A ticket as automation sees the result of its change. */
export interface AutomatedTicket {
  id: string;
  status: ClientTicket['status'];
  priority: ClientTicket['priority'];
  version: number;
}

/**
 * Tickets opened and changed by automation (workflow TICKET steps): the ticketing plugin's own rules
 * apply (its default SLA policy, events, timeline). Runs in the caller's workspace transaction; an
 * unknown id is AppError not_found.
 */
export interface TicketAutomationService {
  open(
    tx: Tx,
    input: { title: string; description?: string; priority?: ClientTicket['priority']; type?: string; clientId?: string | null; tags?: string[] },
    author: string,
  ): Promise<AutomatedTicket>;
  /** An internal note (when `comment` is given) and a new status or priority, in one go. */
  update(
    tx: Tx,
    id: string,
    change: { comment?: string; status?: ClientTicket['status']; priority?: ClientTicket['priority'] },
    author: string,
  ): Promise<AutomatedTicket>;
  /**
   * Links a change (a deployment, a push, a release) to the workspace's tickets that `keys` name
   * (`TCK-42`; other systems' keys are passed over): each gets an internal note saying what changed
   * and, when the change has one, a `url` link to it. Answers the ids of the tickets linked.
   */
  linkChange(tx: Tx, keys: string[], change: { note: string; url: string | null }, author: string): Promise<string[]>;
}

/** Provided by the ticketing plugin; find it with `ctx.find(ticketAutomationToken)` after `optionalRequires: ['ticketing']`. */
export const ticketAutomationToken = createServiceToken<TicketAutomationService>('ticketing tickets for automation');
