import { randomUUID } from 'node:crypto';
import { publishSlaAlerts, type SlaAlert, type SlaAlertSink } from '../alerts/sla-alerts.ts';
import type { ServiceStatus } from '../figures/sla-math.ts';
import { countsAsDown } from '../figures/sla-math.ts';
import type { SlaTx } from '../sla-tx.ts';

export interface StatusChange {
  serviceId: string;
  name: string;
  nodeId: string;
  /** null: the service is new, this is its first known status. */
  from: ServiceStatus | null;
  to: ServiceStatus;
  reason?: string;
}

/**
 * Everything a status change implies, in the caller's transaction: the transition row SLA time is
 * computed from, an incident opened or closed when the service starts or stops counting as down,
 * the `service:status_changed` / `sla:incident` / `sla:alert` events, and the service_down alert
 * raised or resolved. A new service's first status is
 * recorded (it starts the SLA clock) but is not announced as a change.
 */
export async function recordStatusChanges(tx: SlaTx, sink: SlaAlertSink, tenantId: string, changes: StatusChange[], at = new Date()): Promise<void> {
  if (changes.length === 0) return;
  const rows = JSON.stringify(changes.map((c) => ({ service_id: c.serviceId, from_status: c.from, to_status: c.to, reason: c.reason ?? null })));
  await tx.query(
    `INSERT INTO sla_status_transition (tenant_id, service_id, from_status, to_status, at, reason)
     SELECT ?, x.service_id, x.from_status, x.to_status, ?, x.reason
     FROM jsonb_to_recordset(?::jsonb) AS x(service_id uuid, from_status text, to_status text, reason text)`,
    [tenantId, at, rows],
  );
  const opening = changes.filter(opensIncident);
  const closing = changes.filter((c) => c.from !== null && countsAsDown(c.from) && !countsAsDown(c.to));
  const opened = opening.length
    ? await tx.query<{ id: string; service_id: string; status: string }>(
        `INSERT INTO sla_incident (id, tenant_id, service_id, status, started_at)
         SELECT x.id, ?, x.service_id, x.status, ? FROM jsonb_to_recordset(?::jsonb) AS x(id uuid, service_id uuid, status text)
         ON CONFLICT (service_id) WHERE ended_at IS NULL DO NOTHING
         RETURNING id, service_id, status`,
        [tenantId, at, JSON.stringify(opening.map((c) => ({ id: randomUUID(), service_id: c.serviceId, status: c.to })))],
      )
    : [];
  const closed = closing.length
    ? await tx.query<{ id: string; service_id: string; status: string; started_at: Date }>(
        `UPDATE sla_incident SET ended_at = ? WHERE ended_at IS NULL
           AND service_id = ANY(string_to_array(?, ',')::uuid[])
         RETURNING id, service_id, status, started_at`,
        [at, closing.map((c) => c.serviceId).join(',')],
      )
    : [];
  const byId = new Map(changes.map((c) => [c.serviceId, c]));
  for (const c of changes) {
    if (c.from === null) continue;
    await sink.events.publish(tx, {
      topic: 'service:status_changed',
      tenantId,
      payload: { serviceId: c.serviceId, service: c.name, nodeId: c.nodeId, previousStatus: c.from, status: c.to, at: at.toISOString() },
    });
  }
  const incident = (i: { id: string; service_id: string; status: string }, startedAt: Date, endedAt: Date | null) => {
    const c = byId.get(i.service_id) as StatusChange;
    const minutes = endedAt ? (endedAt.getTime() - startedAt.getTime()) / 60_000 : 0;
    return sink.events.publish(tx, {
      topic: 'sla:incident',
      tenantId,
      payload: {
        incidentId: i.id,
        serviceId: c.serviceId,
        service: c.name,
        nodeId: c.nodeId,
        state: endedAt ? 'resolved' : 'opened',
        status: i.status,
        startedAt: startedAt.toISOString(),
        endedAt: endedAt?.toISOString() ?? null,
        downtimeMinutes: Math.round(minutes * 100) / 100,
      },
    });
  };
  for (const i of opened) await incident(i, at, null);
  for (const i of closed) await incident(i, new Date(i.started_at), at);
  await publishSlaAlerts(tx, sink, tenantId, statusAlerts(changes));
}

/**
 * A service that starts counting as down opens an incident and fires an alert. A new service whose
 * first status is UNKNOWN (registered, or created by a storage or backup push, before anything
 * reported its health) does neither: nothing has gone wrong yet, though its SLA time counts
 * UNKNOWN as down until a status arrives.
 */
function opensIncident(c: StatusChange): boolean {
  if (c.from === null) return c.to === 'DOWN';
  return countsAsDown(c.to) && !countsAsDown(c.from);
}

/** A service that starts counting as down fires an alert; one that stops resolves it. */
export function statusAlerts(changes: StatusChange[]): SlaAlert[] {
  const alerts: SlaAlert[] = [];
  for (const c of changes) {
    const base = { kind: 'service_down' as const, entityType: 'service' as const, entityId: c.serviceId, nodeId: c.nodeId, service: c.name };
    if (opensIncident(c)) {
      alerts.push({
        ...base,
        state: 'firing',
        severity: c.to === 'DOWN' ? 'critical' : 'warning',
        title: `${c.name} is ${c.to}`,
        message: c.reason ?? `${c.name} on ${c.nodeId} went from ${c.from ?? 'nothing'} to ${c.to}`,
      });
    } else if (c.from !== null && countsAsDown(c.from) && !countsAsDown(c.to)) {
      alerts.push({ ...base, state: 'resolved', severity: 'info', title: `${c.name} is ${c.to}` });
    }
  }
  return alerts;
}
