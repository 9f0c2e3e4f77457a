/**
 * The only module plugins import. Everything a plugin can reach of the platform is exported here:
 * the manifest helper, service tokens, types and the error type.
 */
import { createServiceToken } from './tokens.ts';
import type {
  ConfigService,
  DatabaseService,
  EventsService,
  JobsService,
  OutboundHttpService,
  SchemaValidator,
  SecretsService,
  SettingsService,
  WorkersService,
} from './services.ts';
import type { TemplateSectionsService } from './template-sections.ts';
import type { PluginManifest } from './types.ts';
import type { BearerTokensService } from './bearer-tokens.ts';

export type * from './types.ts';
export type * from './services.ts';
export type * from './bearer-tokens.ts';
export {
  serviceHealthToken,
  type ServiceHealthService,
  type TaggedServiceHealth,
  type TaggedGroupHealth,
  type TaggedReport,
} from './service-health.ts';
export {
  ticketsServiceToken,
  ticketAutomationToken,
  type TicketsService,
  type TicketAutomationService,
  type AutomatedTicket,
  type ClientTicket,
  type ClientTicketCounts,
} from './ticket-service.ts';
export { createServiceToken, type ServiceToken } from './tokens.ts';
export { openapiFiles } from './openapi-files.ts';
export { eventStreamResponse, type EventStreamOptions, type SseFrame } from '../events/event-stream-response.ts';
export {
  createTemplateSections,
  type AuthorizePermission,
  type TemplateCaller,
  type TemplateSection,
  type TemplateSectionReport,
  type TemplateSectionsService,
} from './template-sections.ts';
export { reachedAddress } from '../outbound/address-policy.ts';
export { AppError, type ErrorCode } from '../errors/app-error.ts';
export { parseListQuery, listEnvelope, likePattern, type ListQuery, type ListEnvelope, type ListOptions } from '../lists/list-query.ts';
export { defineList, type ListSpec, type ListResource } from '../lists/list-page.ts';
export { readInPages } from '../exports/read-in-pages.ts';
export { wallClock, type WallClock } from '../time/wall-clock.ts';
export { isoTimestamp } from '../time/iso-timestamp.ts';
export { lsnValue } from '../db/wal-position.ts';
export { capturePublication, maxCapturedRows } from '../db/change-capture.ts';
export type {
  Alert,
  AlertsService,
  ChannelMessageInput,
  NotificationChannelSummary,
  NotificationChannelsService,
  RaiseAlert,
  ResolveAlert,
} from '../alerts/alert-types.ts';
import type { AlertsService, NotificationChannelsService } from '../alerts/alert-types.ts';
export type { CapabilitiesService, CapabilityContext, CapabilityDeclaration, RegisteredCapability } from '../capabilities/capability-registry.ts';
import type { CapabilitiesService } from '../capabilities/capability-registry.ts';
export type { FailedDelivery, FailedJob, QueueDepth, RuntimeService } from '../runtime/runtime-inspector.ts';
import type { RuntimeService } from '../runtime/runtime-inspector.ts';

/** Identity function that types a manifest; the kernel validates it at load time. */
export function definePlugin(manifest: PluginManifest): PluginManifest {
  return manifest;
}

/** Resolves a task module next to the caller, `.ts` under tsx and `.js` once compiled. */
export function workerModule(callerUrl: string, relativeWithoutExtension: string): URL {
  const extension = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`${relativeWithoutExtension}${extension}`, callerUrl);
}

/** Services every plugin may ask for. */
export const tokens = {
  config: createServiceToken<ConfigService>('config'),
  database: createServiceToken<DatabaseService>('database'),
  jobs: createServiceToken<JobsService>('jobs'),
  workers: createServiceToken<WorkersService>('workers'),
  validator: createServiceToken<SchemaValidator>('validator'),
  events: createServiceToken<EventsService>('events'),
  outbound: createServiceToken<OutboundHttpService>('outbound'),
  /** Raise and resolve alerts; routing, silences and channel notifications follow. */
  alerts: createServiceToken<AlertsService>('alerts'),
  /** Send a message to one notification channel of a workspace by its id (a workflow's NOTIFY step). */
  channels: createServiceToken<NotificationChannelsService>('channels'),
  /** The plugin's secrets (encrypted at rest; names are prefixed with the plugin id). */
  secrets: createServiceToken<SecretsService>('secrets'),
  /** The plugin's section of the platform's and the workspaces' settings, defaults filled in. */
  settings: createServiceToken<SettingsService>('settings'),
  /**
   * Built-in agent capabilities (`{agent}.{reasoner}`) that workflows and `POST /api/v1/execute/…`
   * run; a plugin's registrations are undone when it unloads.
   */
  capabilities: createServiceToken<CapabilitiesService>('capabilities'),
  /**
   * The job queue's depths and the workspace's failed jobs and outbox (webhook) deliveries, with
   * their retry: what an operator's runtime view shows.
   */
  runtime: createServiceToken<RuntimeService>('runtime'),
  /** Authenticate bearer tokens of the plugin's own shape (by prefix), such as client-portal sessions. */
  bearerTokens: createServiceToken<BearerTokensService>('bearer tokens'),
  /** Sections of the templates document contributed by plugins (e.g. `workflows`), for the plugin serving the templates. */
  templateSections: createServiceToken<TemplateSectionsService>('templateSections'),
};
