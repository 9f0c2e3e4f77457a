import type { CertificateSummary, CertificateStatus } from './certificate-checks.ts';
import { daysLeftOf } from './certificate-checks.ts';

/** A `certificate` row as PostgreSQL returns it. */
export interface CertificateRow {
  id: string;
  tenant_id: string;
  name: string;
  host: string;
  port: number;
  server_name: string;
  source: 'manual' | 'endpoint';
  warning_days: number[];
  interval_seconds: number;
  timeout_seconds: number;
  phase_seconds: number;
  validate: boolean;
  ca_pem: string | null;
  status: CertificateStatus;
  status_reason: string | null;
  subject: string | null;
  issuer: string | null;
  serial_number: string | null;
  fingerprint256: string | null;
  not_before: Date | null;
  not_after: Date | null;
  subject_alt_names: string[];
  chain: CertificateSummary[];
  chain_valid: boolean | null;
  chain_error: string | null;
  hostname_valid: boolean | null;
  hostname_error: string | null;
  last_check_at: Date | null;
  last_error: string | null;
  next_check_at: Date | null;
  alert_state: string;
  created_at: Date;
  updated_at: Date;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** The facts the status is computed from, as stored. */
export const factsOf = (row: CertificateRow) => ({
  notAfter: row.not_after ? new Date(row.not_after) : null,
  chainValid: row.chain_valid,
  chainError: row.chain_error,
  hostnameValid: row.hostname_valid,
  hostnameError: row.hostname_error,
  lastError: row.last_error,
});

/** The API's view of a certificate monitor: status as of its last check, days left as of `now`. */
export function certificateView(row: CertificateRow & { endpoint_ids?: string[] | null }, now: Date) {
  return {
    id: row.id,
    name: row.name,
    host: row.host,
    port: row.port,
    serverName: row.server_name,
    source: row.source,
    endpointIds: row.endpoint_ids ?? [],
    warningDays: [...row.warning_days].sort((a, b) => b - a),
    intervalSeconds: row.interval_seconds,
    timeoutSeconds: row.timeout_seconds,
    validate: row.validate,
    caCertificate: row.ca_pem,
    status: row.status,
    statusReason: row.status_reason,
    daysLeft: row.not_after ? daysLeftOf(new Date(row.not_after), now) : null,
    warningThresholdDays: row.alert_state.startsWith('expiring:') ? Number(row.alert_state.slice('expiring:'.length)) : null,
    subject: row.subject,
    issuer: row.issuer,
    serialNumber: row.serial_number,
    fingerprint256: row.fingerprint256,
    notBefore: iso(row.not_before),
    notAfter: iso(row.not_after),
    subjectAltNames: row.subject_alt_names ?? [],
    chain: row.chain ?? [],
    chainValid: row.chain_valid,
    chainError: row.chain_error,
    hostnameValid: row.hostname_valid,
    hostnameError: row.hostname_error,
    lastCheckAt: iso(row.last_check_at),
    lastError: row.last_error,
    nextCheckAt: iso(row.next_check_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** Selects certificate rows with the ids of the HTTPS endpoints on their target (`c` is the certificate). */
export const certificateWithEndpoints = `c.*, ARRAY(
  SELECT e.id FROM endpoint e WHERE e.tenant_id = c.tenant_id AND e.scheme = 'https' AND e.host = c.host AND e.port = c.port AND e.host = c.server_name
  ORDER BY e.created_at, e.id) AS endpoint_ids`;
