import { definePlugin, openapiFiles, type PluginManifest, ticketAutomationToken, ticketsServiceToken, tokens } from '../../core/plugin-api/index.ts';
import { alertRules } from './alert-rules/alert-rules.ts';
import { AlertTickets } from './alert-rules/alert-tickets.ts';
import { assetImportKind } from './assets/asset-import-kind.ts';
import { assets } from './assets/assets.ts';
import { registerTicketingResolvers } from './graphql/ticketing.resolvers.ts';
import * as ops from './ops/ops.handlers.ts';
import { opsSummary } from './ops/ops-summary.ts';
import { runbooks } from './runbooks/runbooks.ts';
import { slaPolicies } from './sla-policies/sla-policies.ts';
import { sweepSlas } from './sla-policies/sla-sweep.job.ts';
import { ticketingEvents } from './ticketing-events.ts';
import { ticketingPermissions, ticketingPolicies } from './ticketing-permissions.ts';
import { ClientTickets } from './tickets/client-tickets.ts';
import { TicketList } from './tickets/ticket-list.ts';
import { automationTickets } from './tickets/automation-tickets.ts';
import { TicketStore } from './tickets/ticket-store.ts';
import { ticketImportKind } from './tickets/ticket-import-kind.ts';
import * as tickets from './tickets/tickets.handlers.ts';

export interface TicketingOptions {
  /** The time source of SLA clocks and sweeps (tests move it; default: the system clock). */
  clock?: () => Date;
}

const fragment = (path: string) => new URL(path, import.meta.url);

/**
 * Ticketing (seed 003): tickets in the workspace API's resource pattern with SLA policies on
 * business-hours calendars, assets, runbooks, ops actions and summary, and alerts that become tickets.
 */
export function createTicketingPlugin(options: TicketingOptions = {}): PluginManifest {
  return definePlugin({
    id: 'ticketing',
    version: '0.1.0',
    host: '>=0.1.0 <1.0.0',
    migrations: fragment('./migrations/'),
    // Topic names fixed by the public contract (seed 003): `ticket.created`, `ticket.sla_breached`, `asset.state_changed`.
    topicNamespaces: ['ticket', 'asset'],
    openapi: openapiFiles(
      fragment('./tickets/tickets.openapi.yaml'),
      fragment('./sla-policies/sla-policies.openapi.yaml'),
      fragment('./assets/assets.openapi.yaml'),
      fragment('./runbooks/runbooks.openapi.yaml'),
      fragment('./alert-rules/alert-rules.openapi.yaml'),
      fragment('./ops/ops.openapi.yaml'),
    ),
    graphql: fragment('./graphql/schema.graphql'),
    permissions: ticketingPermissions,
    policies: ticketingPolicies,
    events: ticketingEvents,
    importKinds: [ticketImportKind, assetImportKind],
    console: {
      pages: [
        {
          path: 'tickets',
          title: 'Tickets',
          navGroup: 'Service desk',
          permission: 'ticketing.tickets:read',
          list: '/api/v1/tickets',
          columns: ['key', 'title', 'status', 'priority', 'assignee', 'requester'],
          create: { operation: 'createTicket', label: 'New ticket' },
          record: {
            actions: [{ operation: 'createTicketComment', label: 'Add comment' }],
            lists: [{ operation: 'listTicketTimeline', title: 'Timeline', columns: ['createdAt', 'kind', 'author', 'body', 'visibility'] }],
          },
        },
      ],
    },
    // The dashboard's ticket counters: one statement over the workspace's tickets.
    async dashboardCounters(tx) {
      const [row] = await tx.query<{ open: number; unassigned: number; at_risk: number; breached: number }>(
        `SELECT count(*)::int AS open, count(*) FILTER (WHERE assignee IS NULL)::int AS unassigned,
                count(*) FILTER (WHERE (first_response_at_risk OR resolution_at_risk) AND NOT (first_response_breached OR resolution_breached))::int AS at_risk,
                count(*) FILTER (WHERE first_response_breached OR resolution_breached)::int AS breached
           FROM ticket WHERE status NOT IN ('resolved', 'closed')`,
      );
      return { openTickets: row.open, unassignedTickets: row.unassigned, ticketsAtRisk: row.at_risk, ticketsBreached: row.breached };
    },
    // Each minute (pg-boss cron's step), one node sweeps the tickets whose next SLA threshold passed.
    jobs: [
      { name: 'sla_sweep', schedule: '* * * * *', expireInSeconds: 300 },
      // The record of handled alert events only needs to outlive the event's delivery to every node.
      { name: 'alert_event_retention', schedule: '23 4 * * *', expireInSeconds: 3600 },
    ],
    init(ctx) {
      const database = ctx.get(tokens.database);
      const events = ctx.get(tokens.events);
      const alerts = ctx.get(tokens.alerts);
      const clock = options.clock ?? (() => new Date());
      const store = new TicketStore({ events, alerts, clock });
      const alertTickets = new AlertTickets({ database, events, alerts, store, logger: ctx.logger });
      const services = { database, store, alertTickets, ticketList: new TicketList(database, () => clock().getTime()) };
      const policies = slaPolicies(database);
      const assetResource = assets(database, events);
      const runbookResource = runbooks(database);
      const ruleResource = alertRules(database);

      const handlers: Record<string, (req: any) => unknown> = {
        listTickets: (req) => tickets.listTicketsHandler(services, req),
        createTicket: (req) => tickets.createTicket(services, req),
        getTicket: (req) => tickets.getTicket(services, req),
        replaceTicket: (req) => tickets.replaceTicket(services, req),
        updateTicket: (req) => tickets.updateTicket(services, req),
        deleteTicket: (req) => tickets.deleteTicket(services, req),
        createTicketComment: (req) => tickets.createTicketComment(services, req),
        listTicketTimeline: (req) => tickets.listTicketTimeline(services, req),
        linkAlertToTicket: (req) => ops.linkAlertToTicket(services, req),
        linkTicketAsset: (req) => ops.linkTicketAsset(services, req),
        linkTicketRunbook: (req) => ops.linkTicketRunbook(services, req),
        escalateTicket: (req) => ops.escalateTicket(services, req),
        resolveTicket: (req) => ops.resolveTicket(services, req),
        getOpsSummary: (req) => opsSummary(database, alerts, req.tenantId, clock()),
      };
      for (const [name, resource] of [
        ['SlaPolicy', policies],
        ['Asset', assetResource],
        ['Runbook', runbookResource],
        ['AlertTicketRule', ruleResource],
      ] as const) {
        const plural = name === 'SlaPolicy' ? 'SlaPolicies' : `${name}s`;
        handlers[`list${plural}`] = resource.list;
        handlers[`create${name}`] = resource.create;
        handlers[`get${name}`] = resource.get;
        handlers[`replace${name}`] = resource.replace;
        handlers[`update${name}`] = resource.patch;
        handlers[`delete${name}`] = resource.delete;
      }
      for (const [operationId, handler] of Object.entries(handlers)) ctx.handle(operationId, handler);

      ctx.job('sla_sweep', async () => {
        await sweepSlas({ database, events, alerts }, clock());
      });
      ctx.job('alert_event_retention', async () => {
        await database.platform.query("DELETE FROM ticket_alert_event WHERE handled_at < now() - interval '7 days'");
      });
      // Alerts become tickets: every node listens, one applies each event.
      ctx.onUnload(alertTickets.start());
      registerTicketingResolvers(ctx, services);
      // The client portal's view of tickets, so it keeps no second ticket model.
      ctx.provide(ticketsServiceToken, new ClientTickets(store, events));
      ctx.provide(ticketAutomationToken, automationTickets(store));
    },
  });
}

export default createTicketingPlugin();
