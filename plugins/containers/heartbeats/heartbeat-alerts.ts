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
  await alertHeartbeatChanges(tx, alerts, [change]);
}

/**
 * The alerts of many status changes in one transaction (a sweep's batch, a ping batch) in a few
 * statements, not a handful per heartbeat: a mass outage holds the heartbeat rows it moved for
 * as long as its alerts take.
 */
export async function alertHeartbeatChanges(tx: Tx, alerts: AlertsService, changes: HeartbeatStatusChange[]): Promise<void> {
  const moving = changes.filter((change) => movesAlert(change.from, change.to));
  const down = moving.filter((change) => change.to === 'down');
  const up = moving.filter((change) => change.to !== 'down');
  if (down.length > 0) {
    await alerts.raiseMany(
      tx,
      down.map((change) => ({
        tenantId: change.tenantId,
        source: 'containers',
        entityType: 'heartbeat',
        entityId: change.id,
        severity: 'critical' as const,
        title: `Heartbeat ${change.name} is down`,
        message: change.reason ?? undefined,
        labels: { heartbeat: change.name },
        fingerprint: heartbeatAlertFingerprint(change.id),
      })),
    );
  }
  if (up.length > 0) {
    await alerts.resolveMany(
      tx,
      up.map((change) => ({ tenantId: change.tenantId, fingerprint: heartbeatAlertFingerprint(change.id) })),
    );
  }
}
