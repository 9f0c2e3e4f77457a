import { randomUUID } from 'node:crypto';
import { certificateAlert, certificateAlertFingerprint, evaluateCertificate, type TlsInspection } from './certificate-checks.ts';
import { type CertificateRow, factsOf } from './certificate-rows.ts';
import type { ResultDeps } from '../endpoints/endpoint-results.ts';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

const kindOf = (alertState: string) => (alertState.startsWith('expiring:') ? 'expiring' : alertState);

/**
 * Records one check of a claimed certificate monitor in one transaction: the check row, the
 * certificate seen (or the handshake's error, keeping the last certificate), the status,
 * `certificate.check_result`, and, when the alert state changes, `certificate.alert` (a new warning
 * threshold, expiry, invalid) or `certificate.recovery` (back to valid and outside the warnings), with the core alerts that follow
 * the alert state. A result for a monitor deleted or reconfigured while it ran is dropped. Returns
 * whether the alert state changed.
 */
export async function recordCertificateCheck(
  deps: ResultDeps,
  claimed: CertificateRow,
  result: { inspection: TlsInspection } | { error: string },
  checkedAt: Date,
): Promise<boolean> {
  return deps.database.platform.transaction(async (tx) => {
    const { query } = tx;
    const [row] = await query<CertificateRow>('SELECT * FROM certificate WHERE id = ? FOR UPDATE', [claimed.id]);
    if (!row || new Date(row.updated_at).getTime() !== new Date(claimed.updated_at).getTime()) return false;
    const seen = 'inspection' in result ? result.inspection : null;
    const facts = seen
      ? {
          notAfter: new Date(seen.leaf.notAfter),
          chainValid: seen.chainValid,
          chainError: seen.chainError,
          hostnameValid: seen.hostnameValid,
          hostnameError: seen.hostnameError,
          lastError: null,
        }
      : { ...factsOf(row), lastError: (result as { error: string }).error };
    const evaluation = evaluateCertificate(facts, { warningDays: row.warning_days, validate: row.validate }, checkedAt);
    await query(
      `INSERT INTO certificate_check (id, tenant_id, certificate_id, checked_at, ok, status, duration_ms, address, error, not_after, fingerprint256,
         chain_valid, chain_error, hostname_valid, hostname_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        randomUUID(),
        row.tenant_id,
        row.id,
        checkedAt.toISOString(),
        seen !== null,
        evaluation.status,
        seen?.durationMs ?? null,
        seen?.address ?? null,
        facts.lastError,
        seen?.leaf.notAfter ?? null,
        seen?.leaf.fingerprint256 ?? null,
        seen?.chainValid ?? null,
        seen?.chainError ?? null,
        seen?.hostnameValid ?? null,
        seen?.hostnameError ?? null,
      ],
    );
    if (seen) {
      await query(
        `UPDATE certificate SET subject = ?, issuer = ?, serial_number = ?, fingerprint256 = ?, not_before = ?, not_after = ?, subject_alt_names = ARRAY(SELECT jsonb_array_elements_text(?::jsonb)),
           chain = ?::jsonb, chain_valid = ?, chain_error = ?, hostname_valid = ?, hostname_error = ? WHERE id = ?`,
        [
          seen.leaf.subject,
          seen.leaf.issuer,
          seen.leaf.serialNumber,
          seen.leaf.fingerprint256,
          seen.leaf.notBefore,
          seen.leaf.notAfter,
          JSON.stringify(seen.subjectAltNames),
          JSON.stringify(seen.chain),
          seen.chainValid,
          seen.chainError,
          seen.hostnameValid,
          seen.hostnameError,
          row.id,
        ],
      );
    }
    await query('UPDATE certificate SET status = ?, status_reason = ?, alert_state = ?, last_check_at = ?, last_error = ? WHERE id = ?', [
      evaluation.status,
      evaluation.statusReason,
      evaluation.alertState,
      checkedAt.toISOString(),
      facts.lastError,
      row.id,
    ]);
    const identity = { certificateId: row.id, name: row.name, host: row.host, port: row.port, serverName: row.server_name };
    const notAfter = iso(facts.notAfter);
    // Every check, as endpoints have: a status an alert does not follow (a refused connection) still reaches who watches.
    await deps.events.publish(tx, {
      topic: 'certificate.check_result',
      tenantId: row.tenant_id,
      payload: {
        ...identity,
        ok: seen !== null,
        status: evaluation.status,
        previousStatus: row.status,
        daysLeft: evaluation.daysLeft,
        notAfter,
        error: facts.lastError,
        checkedAt: checkedAt.toISOString(),
      },
    });
    if (evaluation.alertState === row.alert_state) return false;
    // One alert per alert state (each warning level notifies the channels): the old one's is
    // resolved and the new one's raised, with the state that causes them.
    if (row.alert_state !== 'ok') await deps.alerts.resolve(tx, { tenantId: row.tenant_id, fingerprint: certificateAlertFingerprint(row.id, row.alert_state) });
    const alert = certificateAlert(evaluation.alertState, { id: row.id, serverName: row.server_name, port: row.port });
    if (alert) {
      await deps.alerts.raise(tx, {
        tenantId: row.tenant_id,
        source: 'containers',
        entityType: 'certificate',
        entityId: row.id,
        severity: alert.severity,
        title: alert.title,
        message: evaluation.statusReason ?? undefined,
        labels: { certificate: row.name, host: row.host },
        fingerprint: alert.fingerprint,
      });
    }
    const fingerprint256 = seen?.leaf.fingerprint256 ?? row.fingerprint256;
    if (evaluation.alertState !== 'ok') {
      await deps.events.publish(tx, {
        topic: 'certificate.alert',
        tenantId: row.tenant_id,
        payload: {
          ...identity,
          kind: kindOf(evaluation.alertState),
          status: evaluation.status,
          thresholdDays: evaluation.alertState.startsWith('expiring:') ? evaluation.thresholdDays : null,
          daysLeft: evaluation.daysLeft,
          notAfter,
          reason: evaluation.statusReason,
          fingerprint256,
        },
      });
    } else {
      await deps.events.publish(tx, {
        topic: 'certificate.recovery',
        tenantId: row.tenant_id,
        payload: { ...identity, previousKind: kindOf(row.alert_state), daysLeft: evaluation.daysLeft, notAfter, fingerprint256 },
      });
    }
    return true;
  });
}
