import { clientImportKind } from './clients/client-import-kind.ts';
import { definePlugin, openapiFiles, type PluginManifest, serviceHealthToken, ticketsServiceToken, tokens } from '../../core/plugin-api/index.ts';
import * as access from './access/access.handlers.ts';
import { type AccountingAdapter, fileExportAdapter } from './accounting/accounting-adapters.ts';
import * as accounting from './accounting/accounting-sync.ts';
import * as invites from './access/invites.ts';
import { portalSessionAuthenticator } from './access/portal-sessions.ts';
import { issueSessionToken } from './access/session-tokens.ts';
import { sessionTokenPrefix } from './access/portal-tokens.ts';
import * as clients from './clients/clients.ts';
import { portalEvents } from './portal-events.ts';
import { portalPermissions, portalPolicies } from './portal-permissions.ts';
import { manualBankTransfer, type PaymentProvider } from './billing/payment-providers.ts';
import { markOverdueInvoices } from './invoices/invoice-overdue.job.ts';
import * as invoices from './invoices/invoices.ts';
import * as portalInvoices from './invoices/portal-invoices.ts';
import { createPortalPaymentIntent } from './invoices/payment-intents.ts';
import * as articles from './knowledge-base/articles.ts';
import * as quotes from './quotes/quotes.ts';
import { getPortalSummary } from './summary/portal-summary.ts';
import * as portalTickets from './tickets/portal-tickets.ts';

const fragment = (path: string) => new URL(path, import.meta.url);

export interface PortalOptions {
  /** Accounting adapters besides (or, by the same id, instead of) the built-in file export. */
  accountingAdapters?: AccountingAdapter[];
  /** Payment providers besides (or, by the same id, instead of) the built-in manual bank transfer. */
  paymentProviders?: PaymentProvider[];
  /** Seconds before a failed accounting sync runs again (doubling each time); tests shorten it. */
  accountingRetryDelaySeconds?: number;
}

/**
 * The client portal (seed 003): the MSP's clients, invites exchanged for short-lived portal
 * sessions scoped to one client, and what such a session may see and do.
 */
export function createPortalPlugin(options: PortalOptions = {}): PluginManifest {
  return definePlugin({
    id: 'portal',
    version: '0.1.0',
    host: '>=0.1.0 <1.0.0',
    // Portal tickets are the ticketing plugin's tickets (through ticketsServiceToken).
    requires: ['ticketing'],
    // The summary shows the client's service health when the SLA plugin runs, and goes without it otherwise.
    optionalRequires: ['sla'],
    // `invoice.overdue` is a topic name the public contract (seed 003) fixed.
    topicNamespaces: ['invoice'],
    jobs: [
      { name: 'invoice_overdue', schedule: '17 0 * * *', expireInSeconds: 3600 },
      {
        name: 'accounting_sync',
        expireInSeconds: 900,
        retry: { limit: accounting.accountingRetryLimit, delaySeconds: options.accountingRetryDelaySeconds ?? 30, backoff: true },
        payloadSchema: { type: 'object', required: ['tenantId', 'syncId'], properties: { tenantId: { type: 'string' }, syncId: { type: 'string' } } },
      },
    ],
    migrations: fragment('./migrations/'),
    openapi: openapiFiles(
      fragment('./clients/clients.openapi.yaml'),
      fragment('./access/access.openapi.yaml'),
      fragment('./tickets/portal-tickets.openapi.yaml'),
      fragment('./quotes/quotes.openapi.yaml'),
      fragment('./invoices/invoices.openapi.yaml'),
      fragment('./accounting/accounting.openapi.yaml'),
      fragment('./knowledge-base/knowledge-base.openapi.yaml'),
      fragment('./summary/summary.openapi.yaml'),
    ),
    permissions: portalPermissions,
    policies: portalPolicies,
    events: portalEvents,
    importKinds: [clientImportKind],
    console: {
      pages: [
        {
          path: 'clients',
          title: 'Clients',
          navGroup: 'Clients & billing',
          permission: 'portal.clients:read',
          list: '/api/v1/clients',
          columns: ['name', 'email', 'externalRef', 'status', 'tags', 'createdAt'],
          create: { operation: 'createClient', label: 'New client' },
        },
        {
          path: 'quotes',
          title: 'Quotes',
          navGroup: 'Clients & billing',
          permission: 'portal.quotes:read',
          list: '/api/v1/quotes',
          columns: ['number', 'title', 'status', 'currency', 'validUntil', 'createdAt'],
          create: { operation: 'createQuote', label: 'New quote' },
        },
        {
          path: 'invoices',
          title: 'Invoices',
          navGroup: 'Clients & billing',
          permission: 'portal.invoices:read',
          list: '/api/v1/invoices',
          columns: ['number', 'status', 'overdue', 'currency', 'issuedAt', 'dueAt'],
          create: { operation: 'createInvoice', label: 'New invoice' },
        },
        {
          path: 'payments',
          title: 'Payments',
          navGroup: 'Clients & billing',
          permission: 'portal.invoices:read',
          list: '/api/v1/payments',
          columns: ['reference', 'status', 'provider', 'currency', 'createdAt'],
        },
        {
          path: 'knowledge-base',
          title: 'Knowledge base',
          navGroup: 'Service desk',
          permission: 'portal.articles:read',
          list: '/api/v1/articles',
          columns: ['title', 'visibility', 'tags', 'updatedAt'],
          create: { operation: 'createArticle', label: 'New article' },
        },
      ],
    },
    config: {
      ITOPS_PORTAL_SESSION_MINUTES: {
        type: 'integer',
        description: 'Minutes a client-portal session lasts after its invite is exchanged',
        default: 60,
        minimum: 5,
        maximum: 1440,
      },
      ITOPS_PORTAL_BANK_DETAILS: {
        type: 'string',
        description: 'Where clients send bank transfers (account holder, IBAN, BIC), shown in manual payment instructions',
        default: '',
        maxLength: 500,
      },
    },
    init(ctx) {
      const database = ctx.get(tokens.database);
      const events = ctx.get(tokens.events);
      const sessionMinutes = Number(ctx.config.ITOPS_PORTAL_SESSION_MINUTES);
      const tickets = ctx.get(ticketsServiceToken);
      const paymentProviders = new Map(
        [manualBankTransfer(String(ctx.config.ITOPS_PORTAL_BANK_DETAILS ?? '')), ...(options.paymentProviders ?? [])].map((provider) => [
          provider.id,
          provider,
        ]),
      );
      const adapters = new Map([fileExportAdapter, ...(options.accountingAdapters ?? [])].map((adapter) => [adapter.id, adapter]));
      const services = {
        database,
        events,
        logger: ctx.logger,
        sessionMinutes,
        tickets,
        paymentProviders,
        adapters,
        jobs: ctx.get(tokens.jobs),
        config: ctx.get(tokens.config),
      };
      ctx.onUnload(ctx.get(tokens.bearerTokens).register(sessionTokenPrefix, portalSessionAuthenticator(database)));

      const handlers: Record<string, (req: any) => unknown> = {
        listClients: (req) => clients.listClients(services, req),
        createClient: (req) => clients.createClient(services, req),
        getClient: (req) => clients.getClient(services, req),
        replaceClient: (req) => clients.replaceClient(services, req),
        updateClient: (req) => clients.updateClient(services, req),
        deleteClient: (req) => clients.deleteClient(services, req),
        listPortalClients: (req) => clients.listPortalClients(services, req),
        listPortalInvites: (req) => invites.listInvites(services, req),
        createPortalInvite: (req) => invites.createInvite(services, req),
        revokePortalInvite: (req) => invites.revokeInvite(services, req),
        issuePortalSessionToken: (req) => issueSessionToken(services, req),
        exchangePortalSession: (req) => access.exchangePortalSession(services, req),
        terminatePortalSession: (req) => access.terminatePortalSession(services, req),
        listPortalTickets: (req) => portalTickets.listPortalTickets(services, req),
        createPortalTicket: (req) => portalTickets.createPortalTicket(services, req),
        updatePortalTicket: (req) => portalTickets.updatePortalTicket(services, req),
        listQuotes: (req) => quotes.listQuotes(services, req),
        createQuote: (req) => quotes.createQuote(services, req),
        getQuote: (req) => quotes.getQuote(services, req),
        replaceQuote: (req) => quotes.replaceQuote(services, req),
        updateQuote: (req) => quotes.updateQuote(services, req),
        deleteQuote: (req) => quotes.deleteQuote(services, req),
        listPortalQuotes: (req) => quotes.listPortalQuotes(services, req),
        decidePortalQuote: (req) => quotes.decidePortalQuote(services, req),
        listInvoices: (req) => invoices.listInvoices(services, req),
        createInvoice: (req) => invoices.createInvoice(services, req),
        getInvoice: (req) => invoices.getInvoice(services, req),
        replaceInvoice: (req) => invoices.replaceInvoice(services, req),
        updateInvoice: (req) => invoices.updateInvoice(services, req),
        deleteInvoice: (req) => invoices.deleteInvoice(services, req),
        listPayments: (req) => invoices.listPayments(services, req),
        confirmPayment: (req) => invoices.confirmPayment(services, req),
        listPortalInvoices: (req) => portalInvoices.listPortalInvoices(services, req),
        acknowledgePortalInvoice: (req) => portalInvoices.acknowledgePortalInvoice(services, req),
        createPortalPaymentIntent: (req) => createPortalPaymentIntent(services, req),
        listPortalPayments: (req) => portalInvoices.listPortalPayments(services, req),
        syncAccounting: (req) => accounting.syncAccounting(services, req),
        listArticles: (req) => articles.listArticles(services, req),
        createArticle: (req) => articles.createArticle(services, req),
        getArticle: (req) => articles.getArticle(services, req),
        replaceArticle: (req) => articles.replaceArticle(services, req),
        updateArticle: (req) => articles.updateArticle(services, req),
        deleteArticle: (req) => articles.deleteArticle(services, req),
        listPortalKnowledgeBase: (req) => articles.listPortalKnowledgeBase(services, req),
        getPortalArticle: (req) => articles.getPortalArticle(services, req),
        // Looked up per request: SLA may load after this plugin, or unload while it runs.
        getPortalSummary: (req) => getPortalSummary({ ...services, serviceHealth: () => ctx.find(serviceHealthToken) }, req),
        getAccountingSync: (req) => accounting.getAccountingSync(services, req),
        getAccountingSyncFile: (req) => accounting.getAccountingSyncFile(services, req),
      };
      for (const [operationId, handler] of Object.entries(handlers)) ctx.handle(operationId, handler);
      ctx.job<{ tenantId: string; syncId: string }>('accounting_sync', (payload, job) => accounting.runAccountingSync(services, payload, job.attempt));
      ctx.job('invoice_overdue', async () => {
        const marked = await markOverdueInvoices({ database, events });
        if (marked > 0) ctx.logger.info({ marked }, 'invoices marked overdue');
      });
    },
  });
}

export default createPortalPlugin();
