import { randomUUID, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { AppError, type AlertsService, type DatabaseService, type OperationRequest } from '../../../core/plugin-api/index.ts';
import { certificateAlertFingerprint } from './certificate-checks.ts';
import { type CertificateListQuery, certificateReads } from './certificate-reads.ts';
import { type CertificateRow, certificateView, certificateWithEndpoints } from './certificate-rows.ts';
import { bareHost, type CheckAddressPolicy, literalHostProblem } from '../endpoints/endpoint-address-policy.ts';
import { invalid, type Problem } from '../endpoints/endpoint-rows.ts';
import { certificateDefaults, randomPhase, type Sql } from '../endpoints/endpoint-store.ts';
import { resolveAll } from '../endpoints/endpoints.handlers.ts';

type CertificateInput = {
  name?: string;
  host?: string;
  port?: number;
  serverName?: string;
  warningDays?: number[];
  intervalSeconds?: number;
  timeoutSeconds?: number;
  validate?: boolean;
  caCertificate?: string | null;
};

/** The columns a create or an update writes, checked beyond the contract's schema. */
function certificateColumns(current: CertificateRow | undefined, body: CertificateInput, policy: CheckAddressPolicy, tenantId: string) {
  const problems: Problem[] = [];
  const host = bareHost(body.host ?? current?.host ?? '')
    .toLowerCase()
    .replace(/\.$/, '');
  const port = body.port ?? current?.port ?? 443;
  const serverName = bareHost(body.serverName ?? (body.host !== undefined ? host : (current?.server_name ?? host)))
    .toLowerCase()
    .replace(/\.$/, '');
  if (!isIP(host) && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host)) {
    problems.push({ path: '/body/host', message: 'must be a host name or an IP address' });
  }
  const blocked = literalHostProblem(policy, tenantId, host);
  if (blocked) problems.push({ path: '/body/host', message: `checks may not reach this address: ${blocked}` });
  const interval = body.intervalSeconds ?? current?.interval_seconds ?? certificateDefaults.intervalSeconds;
  const timeout = body.timeoutSeconds ?? current?.timeout_seconds ?? certificateDefaults.timeoutSeconds;
  const caPem = body.caCertificate === undefined ? (current?.ca_pem ?? null) : body.caCertificate;
  if (body.caCertificate) {
    try {
      new X509Certificate(body.caCertificate);
    } catch {
      problems.push({ path: '/body/caCertificate', message: 'is not a PEM certificate' });
    }
  }
  if (problems.length > 0) invalid(problems);
  return {
    // A name left at its default follows the target.
    name: (body.name ?? (current && current.name !== `${current.server_name}:${current.port}` ? current.name : `${serverName}:${port}`)).trim(),
    host,
    port,
    server_name: serverName,
    warning_days: body.warningDays ?? current?.warning_days ?? certificateDefaults.warningDays,
    interval_seconds: interval,
    timeout_seconds: timeout,
    validate: body.validate ?? current?.validate ?? true,
    ca_pem: caPem,
  };
}

const uniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

/** Certificate monitor CRUD and check history (tenant-scoped raw SQL). */
export function certificateHandlers(deps: {
  database: DatabaseService;
  alerts: AlertsService;
  clock: () => Date;
  policy: CheckAddressPolicy;
  onDue: () => void;
}) {
  const { database, clock } = deps;
  const reads = certificateReads({ database, clock });

  const owned = async (sql: Sql, id: string, lock = false) => {
    const [row] = await sql<CertificateRow>(`SELECT * FROM certificate WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!row) throw new AppError('not_found', `Certificate monitor ${id} was not found`);
    return row;
  };
  const view = async (sql: Sql, id: string) => {
    const [row] = await sql<CertificateRow & { endpoint_ids: string[] }>(`SELECT ${certificateWithEndpoints} FROM certificate c WHERE c.id = ?`, [id]);
    return certificateView(row, clock());
  };
  const duplicate = (columns: { host: string; port: number; server_name: string }) =>
    new AppError('conflict', `${columns.server_name} on ${columns.host}:${columns.port} is already monitored`);

  return {
    listCertificates(req: OperationRequest<unknown, Record<string, string>, CertificateListQuery>) {
      return reads.list(req.tenantId as string, req.query);
    },

    async createCertificate(req: OperationRequest<CertificateInput>) {
      const tenantId = req.tenantId as string;
      const columns = certificateColumns(undefined, req.body, deps.policy, tenantId);
      const now = clock().toISOString();
      const id = randomUUID();
      const db = database.forTenant(tenantId);
      try {
        await db.query(
          `INSERT INTO certificate (id, tenant_id, name, host, port, server_name, source, warning_days, interval_seconds, timeout_seconds, phase_seconds,
             validate, ca_pem, next_check_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'manual', ?::int[], ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            id,
            tenantId,
            columns.name,
            columns.host,
            columns.port,
            columns.server_name,
            `{${columns.warning_days.join(',')}}`,
            columns.interval_seconds,
            columns.timeout_seconds,
            randomPhase(columns.interval_seconds),
            columns.validate,
            columns.ca_pem,
            now,
            now,
            now,
          ],
        );
      } catch (error) {
        if (uniqueViolation(error)) throw duplicate(columns);
        throw error;
      }
      deps.onDue();
      return { status: 201, body: await view(db.query, id) };
    },

    getCertificate(req: OperationRequest<unknown, { id: string }>) {
      return reads.get(req.tenantId as string, req.params.id);
    },

    async updateCertificate(req: OperationRequest<CertificateInput, { id: string }>) {
      const tenantId = req.tenantId as string;
      const result = await database
        .forTenant(tenantId)
        .transaction(async (tx) => {
          const { query } = tx;
          const current = await owned(query, req.params.id, true);
          const columns = certificateColumns(current, req.body, deps.policy, tenantId);
          const retargeted = columns.host !== current.host || columns.port !== current.port || columns.server_name !== current.server_name;
          if (retargeted && current.source === 'endpoint') {
            throw new AppError('conflict', `Certificate monitor ${current.id} follows its endpoints' host and port; change the endpoints instead`);
          }
          const phase = columns.interval_seconds === current.interval_seconds ? current.phase_seconds : current.phase_seconds % columns.interval_seconds;
          const now = clock().toISOString();
          await query(
            `UPDATE certificate SET name = ?, host = ?, port = ?, server_name = ?, warning_days = ?::int[], interval_seconds = ?, timeout_seconds = ?,
               phase_seconds = ?, validate = ?, ca_pem = ?, next_check_at = ?, updated_at = ? WHERE id = ?`,
            [
              columns.name,
              columns.host,
              columns.port,
              columns.server_name,
              `{${columns.warning_days.join(',')}}`,
              columns.interval_seconds,
              columns.timeout_seconds,
              phase,
              columns.validate,
              columns.ca_pem,
              now,
              now,
              current.id,
            ],
          );
          if (retargeted) {
            // Another server: forget what the old one showed, and resolve the old one's alert with it.
            if (current.alert_state !== 'ok') {
              await resolveAll(tx, deps.alerts, [{ tenantId, fingerprint: certificateAlertFingerprint(current.id, current.alert_state) }]);
            }
            await query(
              `UPDATE certificate SET status = 'pending', status_reason = NULL, subject = NULL, issuer = NULL, serial_number = NULL, fingerprint256 = NULL,
                 not_before = NULL, not_after = NULL, subject_alt_names = '{}', chain = '[]', chain_valid = NULL, chain_error = NULL, hostname_valid = NULL,
                 hostname_error = NULL, last_error = NULL, alert_state = 'ok' WHERE id = ?`,
              [current.id],
            );
          }
          return view(query, current.id);
        })
        .catch((error) => {
          if (uniqueViolation(error)) throw new AppError('conflict', 'Another certificate monitor of this workspace has this host, port and server name');
          throw error;
        });
      deps.onDue();
      return result;
    },

    async deleteCertificate(req: OperationRequest<unknown, { id: string }>) {
      const tenantId = req.tenantId as string;
      await database.forTenant(tenantId).transaction(async (tx) => {
        const current = await owned(tx.query, req.params.id, true);
        if (current.source === 'endpoint') {
          throw new AppError('conflict', `Certificate monitor ${current.id} is derived from HTTPS endpoints; set monitorCertificate to false on them instead`);
        }
        await tx.query('DELETE FROM certificate WHERE id = ?', [current.id]);
        if (current.alert_state !== 'ok') {
          await resolveAll(tx, deps.alerts, [{ tenantId, fingerprint: certificateAlertFingerprint(current.id, current.alert_state) }]);
        }
      });
      return { status: 204 };
    },

    async listCertificateChecks(req: OperationRequest<unknown, { id: string }>) {
      const tenantId = req.tenantId as string;
      return reads.checks(tenantId, await owned(database.forTenant(tenantId).query, req.params.id), req.query as Record<string, unknown>);
    },
  };
}
