import type { AlertsService, DatabaseService, EventsService, OperationRequest, PluginLogger } from '../../core/plugin-api/index.ts';
import { deliverSlaAlerts, type SlaAlert } from './sla-alerts.ts';
import type { SlaTx } from './sla-tx.ts';

/** The platform services the SLA plugin's parts share, taken from the plugin context once. */
export interface SlaDeps {
  db: DatabaseService;
  events: EventsService;
  alerts: AlertsService;
  logger: PluginLogger;
}

/**
 * Runs `fn` in one transaction and, once it committed, raises or resolves the alerts it decided
 * on. An alert that fails to reach the alert service is logged: the change itself is durable.
 */
export async function inTransaction<T>(deps: SlaDeps, tenantId: string, fn: (tx: SlaTx) => Promise<{ result: T; alerts: SlaAlert[] }>): Promise<T> {
  const { result, alerts } = await deps.db.transaction(fn);
  if (alerts.length > 0) await deliverSlaAlerts(deps.alerts, tenantId, alerts).catch((error) => deps.logger.error({ err: error }, 'SLA alert delivery failed'));
  return result;
}

/** The workspace the contract router resolved for a tenant-scoped operation. */
export const tenantOf = (req: OperationRequest): string => req.tenantId as string;
