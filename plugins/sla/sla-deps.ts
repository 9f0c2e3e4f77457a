import type { AlertsService, DatabaseService, EventsService, OperationRequest, PluginLogger } from '../../core/plugin-api/index.ts';

/** The platform services the SLA plugin's parts share, taken from the plugin context once. */
export interface SlaDeps {
  db: DatabaseService;
  events: EventsService;
  alerts: AlertsService;
  logger: PluginLogger;
}

/** The workspace the contract router resolved for a tenant-scoped operation. */
export const tenantOf = (req: OperationRequest): string => req.tenantId as string;
