import type { AlertsService, EventsService } from '../../../core/plugin-api/index.ts';
import type { SlaTx } from '../sla-tx.ts';

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

/** What raising an SLA alert needs: its `sla:alert` event and the core alert join the same transaction. */
export type SlaAlertSink = { events: EventsService; alerts: AlertsService };

/**
 * Publishes `sla:alert` and raises or resolves the core alert in the caller's transaction, so both
 * exist exactly when the change that caused them does.
 */
export async function publishSlaAlerts(tx: SlaTx, sink: SlaAlertSink, tenantId: string, alerts: SlaAlert[]): Promise<void> {
  for (const a of alerts) {
    await sink.events.publish(tx, { topic: 'sla:alert', tenantId, payload: a });
    const fingerprint = `sla:${a.kind === 'sla_at_risk' || a.kind === 'sla_breached' ? 'sla' : a.kind}:${a.entityId}`;
    if (a.state === 'resolved') {
      await sink.alerts.resolve(tx, { tenantId, fingerprint });
      continue;
    }
    await sink.alerts.raise(tx, {
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
