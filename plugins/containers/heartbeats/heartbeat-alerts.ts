import type { AlertsService, Tx } from '../../../core/plugin-api/index.ts';

export const heartbeatAlertFingerprint = (heartbeatId: string) => `heartbeat-down:${heartbeatId}`;

/** A heartbeat's status before and after a change, as the alert needs it. */
export interface HeartbeatStatusChange {
  tenantId: string;
  id: string;
  name: string;
  from: string;
  to: string;
  reason: string | null;
}

/** Whether a change opens or closes the heartbeat's alert (only going down or leaving down does). */
export const movesAlert = (from: string, to: string) => (from === 'down') !== (to === 'down');

/**
 * Raises the critical alert of a heartbeat that went down, or resolves it when the heartbeat left
 * down, in `tx`: the transaction that changes the status, so the alert commits or rolls back with
 * it and never lags behind it.
 */
export async function alertHeartbeatChange(tx: Tx, alerts: AlertsService, change: HeartbeatStatusChange): Promise<void> {
  if (!movesAlert(change.from, change.to)) return;
  const fingerprint = heartbeatAlertFingerprint(change.id);
  if (change.to === 'down') {
    await alerts.raise(tx, {
      tenantId: change.tenantId,
      source: 'containers',
      entityType: 'heartbeat',
      entityId: change.id,
      severity: 'critical',
      title: `Heartbeat ${change.name} is down`,
      message: change.reason ?? undefined,
      labels: { heartbeat: change.name },
      fingerprint,
    });
  } else {
    await alerts.resolve(tx, { tenantId: change.tenantId, fingerprint });
  }
}
