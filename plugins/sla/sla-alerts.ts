import type { AlertsService, EventsService } from '../../core/plugin-api/index.ts';
import type { SlaTx } from './sla-tx.ts';

export type SlaAlertKind = 'service_down' | 'agent_silent' | 'storage' | 'backup_failed' | 'backup_overdue' | 'sla_at_risk' | 'sla_breached';

/** An alert the SLA plugin decided on inside a transaction. */
export interface SlaAlert {
  kind: SlaAlertKind;
  state: 'firing' | 'resolved';
  severity: 'critical' | 'warning' | 'info';
  /** The service or node the alert is about. */
  entityType: 'service' | 'node';
  entityId: string;
  nodeId: string;
  service?: string;
  title: string;
  message?: string;
}

/**
 * Alerts take two steps. `sla:alert` is published in the transaction that made the decision (so it
 * exists exactly when the change does); the core alert is raised or resolved after the commit, by
 * `deliverSlaAlerts`, because the alert service runs its own transaction and routes notifications.
 */
export async function publishSlaAlerts(tx: SlaTx, events: EventsService, tenantId: string, alerts: SlaAlert[]): Promise<void> {
  for (const a of alerts) await events.publish(tx.em, { topic: 'sla:alert', tenantId, payload: a });
}

export async function deliverSlaAlerts(service: AlertsService, tenantId: string, alerts: SlaAlert[]): Promise<void> {
  for (const a of alerts) {
    const fingerprint = `sla:${a.kind === 'sla_at_risk' || a.kind === 'sla_breached' ? 'sla' : a.kind}:${a.entityId}`;
    if (a.state === 'resolved') {
      await service.resolve({ tenantId, fingerprint });
      continue;
    }
    await service.raise({
      tenantId,
      source: 'sla',
      entityType: a.entityType,
      entityId: a.entityId,
      severity: a.severity,
      fingerprint,
      title: a.title,
      message: a.message,
      labels: { kind: a.kind, nodeId: a.nodeId, ...(a.service ? { service: a.service } : {}) },
    });
  }
}
