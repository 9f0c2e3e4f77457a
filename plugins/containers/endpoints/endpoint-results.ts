import { randomUUID } from 'node:crypto';
import type { AlertsService, DatabaseService, EventsService } from '../../../core/plugin-api/index.ts';
import type { CheckOutcome } from './endpoint-checks.ts';
import type { EndpointRow } from './endpoint-rows.ts';
import { applyCheck } from './endpoint-state.ts';
import { endpointAlertFingerprint } from './endpoint-store.ts';

export interface ResultDeps {
  database: DatabaseService;
  events: EventsService;
  alerts: AlertsService;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/**
 * Records one check of a claimed endpoint in one transaction: the result row, the new state, a
 * status change, and the events (`endpoint.check_result` always; `endpoint.alert` when the threshold
 * is reached; `endpoint.recovery` when a down endpoint passes), and the core alert raised or resolved
 * with the status that causes it. A result for an endpoint that was deleted, paused or
 * reconfigured while it ran is dropped (the new settings are checked anew). Returns whether the
 * endpoint went down or came back up.
 */
export async function recordEndpointCheck(deps: ResultDeps, claimed: EndpointRow, outcome: CheckOutcome, checkedAt: Date): Promise<boolean> {
  return deps.database.platform.transaction(async (tx) => {
    const { query } = tx;
    const [row] = await query<EndpointRow>('SELECT * FROM endpoint WHERE id = ? FOR UPDATE', [claimed.id]);
    if (!row?.enabled || new Date(row.updated_at).getTime() !== new Date(claimed.updated_at).getTime()) return false;
    const failingSince = row.failing_since ? new Date(row.failing_since) : null;
    const transition = applyCheck(
      { status: row.status, consecutiveFailures: row.consecutive_failures, failingSince },
      outcome,
      row.failure_threshold,
      checkedAt,
    );
    const next = transition.state;
    await query(
      'INSERT INTO endpoint_check (id, tenant_id, endpoint_id, checked_at, ok, response_ms, status_code, error, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [randomUUID(), row.tenant_id, row.id, checkedAt.toISOString(), outcome.ok, outcome.responseTimeMs, outcome.statusCode, outcome.error, outcome.address],
    );
    await query(
      `UPDATE endpoint SET status = ?, status_changed_at = ?, consecutive_failures = ?, failing_since = ?, last_check_at = ?, last_check_ok = ?,
         last_response_ms = ?, last_status_code = ?, last_error = ? WHERE id = ?`,
      [
        next.status,
        transition.flip ? transition.flip.at.toISOString() : iso(row.status_changed_at),
        next.consecutiveFailures,
        iso(next.failingSince),
        checkedAt.toISOString(),
        outcome.ok,
        outcome.responseTimeMs,
        outcome.statusCode,
        outcome.error,
        row.id,
      ],
    );
    if (transition.flip) {
      await query('INSERT INTO endpoint_flip (tenant_id, endpoint_id, at, from_status, to_status, reason) VALUES (?, ?, ?, ?, ?, ?)', [
        row.tenant_id,
        row.id,
        transition.flip.at.toISOString(),
        transition.flip.from,
        transition.flip.to,
        transition.flip.reason,
      ]);
    }
    const identity = { endpointId: row.id, name: row.name, url: row.url };
    await deps.events.publish(tx, {
      topic: 'endpoint.check_result',
      tenantId: row.tenant_id,
      payload: {
        ...identity,
        ok: outcome.ok,
        status: next.status,
        responseTimeMs: outcome.responseTimeMs,
        statusCode: outcome.statusCode,
        error: outcome.error,
        consecutiveFailures: next.consecutiveFailures,
        checkedAt: checkedAt.toISOString(),
      },
    });
    if ((row.status === 'down') !== (next.status === 'down')) {
      const fingerprint = endpointAlertFingerprint(row.id);
      if (next.status === 'down') {
        await deps.alerts.raise(tx, {
          tenantId: row.tenant_id,
          source: 'containers',
          entityType: 'endpoint',
          entityId: row.id,
          severity: 'critical',
          title: `Endpoint ${row.name} is down`,
          message: `${row.url}: ${outcome.error ?? 'failed'} (${next.consecutiveFailures} consecutive failed checks)`,
          labels: { endpoint: row.name },
          fingerprint,
        });
      } else {
        await deps.alerts.resolve(tx, { tenantId: row.tenant_id, fingerprint });
      }
    }
    if (transition.event === 'alert') {
      await deps.events.publish(tx, {
        topic: 'endpoint.alert',
        tenantId: row.tenant_id,
        payload: {
          ...identity,
          status: 'down',
          previousStatus: row.status,
          consecutiveFailures: next.consecutiveFailures,
          error: outcome.error,
          downSince: (next.failingSince as Date).toISOString(),
        },
      });
    } else if (transition.event === 'recovery') {
      await deps.events.publish(tx, {
        topic: 'endpoint.recovery',
        tenantId: row.tenant_id,
        payload: {
          ...identity,
          status: 'up',
          previousStatus: 'down',
          responseTimeMs: outcome.responseTimeMs,
          downSince: iso(row.status_changed_at),
          recoveredAt: checkedAt.toISOString(),
        },
      });
    }
    return transition.event !== null;
  });
}
