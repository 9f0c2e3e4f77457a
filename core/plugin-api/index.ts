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

export type * from './types.ts';
export type * from './services.ts';
export { createServiceToken, type ServiceToken } from './tokens.ts';
export { openapiFiles } from './openapi-files.ts';
export { createTemplateSections, type TemplateSection, type TemplateSectionReport, type TemplateSectionsService } from './template-sections.ts';
export { reachedAddress } from '../outbound/address-policy.ts';
export { AppError, type ErrorCode } from '../errors/app-error.ts';
export { parseListQuery, listEnvelope, likePattern, type ListQuery, type ListEnvelope, type ListOptions } from '../lists/list-query.ts';
export { defineList, type ListSpec, type ListResource } from '../lists/list-page.ts';
export { readInPages } from '../exports/read-in-pages.ts';
export { wallClock, type WallClock } from '../time/wall-clock.ts';
export type { Alert, AlertsService, RaiseAlert, ResolveAlert } from '../alerts/alert-types.ts';
import type { AlertsService } from '../alerts/alert-types.ts';

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
  /** The plugin's secrets (encrypted at rest; names are prefixed with the plugin id). */
  secrets: createServiceToken<SecretsService>('secrets'),
  /** The plugin's section of the platform's and the workspaces' settings, defaults filled in. */
  settings: createServiceToken<SettingsService>('settings'),
  /** Sections of the templates document contributed by plugins (e.g. `workflows`), for the plugin serving the templates. */
  templateSections: createServiceToken<TemplateSectionsService>('templateSections'),
};
