import type { AlertsService, DatabaseService, EventsService, RaiseAlert } from '../../../core/plugin-api/index.ts';

interface Crossed {
  id: string;
  tenant_id: string;
  title: string;
  priority: string;
  fr_risk: boolean;
  fr_breach: boolean;
  res_risk: boolean;
  res_breach: boolean;
  first_response_due_at: Date | null;
  resolution_due_at: Date | null;
}

export interface SweepDeps {
  database: DatabaseService;
  events: EventsService;
  alerts: AlertsService;
}

/** The fingerprint of a ticket's breach alert, so resolving the ticket can resolve it. */
export const breachFingerprint = (ticketId: string, clock: 'first_response' | 'resolution') => `ticketing:sla:${ticketId}:${clock}`;

/**
 * One sweep over the tickets whose next SLA threshold has passed. The database finds them: each
 * ticket's next threshold is a generated column (`sla_check_at`) under a partial index, so a
 * million open tickets cost a range scan of the few that are due, never a scan in JavaScript.
 * Batches are claimed with SKIP LOCKED, so two nodes sweeping at once split the work; flags,
 * timeline entries, events (`ticket.sla_at_risk`, `ticket.sla_breached`) and breach alerts are
 * written in the batch's transaction. Returns how many tickets crossed a threshold.
 */
export async function sweepSlas(deps: SweepDeps, now: Date, batchSize = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const crossed = await deps.database.platform.transaction(async (tx) => {
      const rows = await tx.query<Crossed>(
        `WITH due AS (
           SELECT id FROM ticket WHERE sla_check_at <= ? ORDER BY sla_check_at LIMIT ? FOR UPDATE SKIP LOCKED
         ), crossed AS (
           SELECT t.id, t.tenant_id, t.title, t.priority, t.first_response_due_at, t.resolution_due_at,
             (t.first_responded_at IS NULL AND NOT t.first_response_at_risk AND t.first_response_warn_at <= ?) AS fr_risk,
             (t.first_responded_at IS NULL AND NOT t.first_response_breached AND t.first_response_due_at <= ?) AS fr_breach,
             (t.resolution_running_since IS NOT NULL AND NOT t.resolution_at_risk AND t.resolution_warn_at <= ?) AS res_risk,
             (t.resolution_running_since IS NOT NULL AND NOT t.resolution_breached AND t.resolution_due_at <= ?) AS res_breach
           FROM ticket t JOIN due USING (id)
         )
         UPDATE ticket t SET
           first_response_at_risk = t.first_response_at_risk OR c.fr_risk OR c.fr_breach,
           first_response_breached = t.first_response_breached OR c.fr_breach,
           resolution_at_risk = t.resolution_at_risk OR c.res_risk OR c.res_breach,
           resolution_breached = t.resolution_breached OR c.res_breach
         FROM crossed c WHERE t.id = c.id
         RETURNING c.*`,
        [now, batchSize, now, now, now, now],
      );
      if (rows.length === 0) return rows;
      const notices: { row: Crossed; clock: 'first_response' | 'resolution'; state: 'at_risk' | 'breached'; dueAt: Date | null }[] = [];
      for (const row of rows) {
        // Both crossed since the last sweep: the breach says it all.
        if (row.fr_breach) notices.push({ row, clock: 'first_response', state: 'breached', dueAt: row.first_response_due_at });
        else if (row.fr_risk) notices.push({ row, clock: 'first_response', state: 'at_risk', dueAt: row.first_response_due_at });
        if (row.res_breach) notices.push({ row, clock: 'resolution', state: 'breached', dueAt: row.resolution_due_at });
        else if (row.res_risk) notices.push({ row, clock: 'resolution', state: 'at_risk', dueAt: row.resolution_due_at });
      }
      if (notices.length === 0) return rows;
      await tx.query(
        `INSERT INTO ticket_entry (id, tenant_id, ticket_id, kind, visibility, author, body, data, created_at)
         SELECT gen_random_uuid(), n.tenant_id, n.ticket_id, 'sla', 'internal', 'system', n.body, n.data, ?
         FROM unnest(?::text[], ?::uuid[], ?::text[], ?::jsonb[]) AS n(tenant_id, ticket_id, body, data)`,
        [
          now,
          notices.map((n) => n.row.tenant_id),
          notices.map((n) => n.row.id),
          notices.map(
            (n) => `${n.clock === 'first_response' ? 'First response' : 'Resolution'} ${n.state === 'breached' ? 'SLA breached' : 'SLA at risk (75 %)'}`,
          ),
          notices.map((n) => JSON.stringify({ clock: n.clock, state: n.state, dueAt: n.dueAt && new Date(n.dueAt).toISOString() })),
        ],
      );
      await deps.events.publishMany(
        tx,
        notices.map((n) => ({
          topic: n.state === 'breached' ? 'ticket.sla_breached' : 'ticket.sla_at_risk',
          tenantId: n.row.tenant_id,
          payload: { ticketId: n.row.id, title: n.row.title, priority: n.row.priority, clock: n.clock, dueAt: n.dueAt && new Date(n.dueAt).toISOString() },
        })),
      );
      const breaches: RaiseAlert[] = notices
        .filter((n) => n.state === 'breached')
        .map((n) => ({
          tenantId: n.row.tenant_id,
          source: 'ticketing',
          entityType: 'ticket',
          entityId: n.row.id,
          severity: 'warning',
          title: `Ticket ${n.clock === 'first_response' ? 'first-response' : 'resolution'} SLA breached`,
          message: n.row.title,
          labels: { priority: n.row.priority, clock: n.clock },
          fingerprint: breachFingerprint(n.row.id, n.clock),
        }));
      if (breaches.length > 0) await deps.alerts.raiseMany(tx, breaches);
      return rows;
    });
    const notified = crossed.filter((r) => r.fr_risk || r.fr_breach || r.res_risk || r.res_breach).length;
    total += notified;
    if (crossed.length < batchSize || notified === 0) return total;
  }
}
