import { AppError, type DatabaseService, defineList, listEnvelope, parseListQuery } from '../../../core/plugin-api/index.ts';
import { type CertificateStatus, daysLeftOf } from './certificate-checks.ts';
import { type CertificateRow, certificateView, certificateWithEndpoints } from './certificate-rows.ts';

type CheckRow = {
  id: string;
  checked_at: Date;
  ok: boolean;
  status: CertificateStatus;
  duration_ms: number | null;
  address: string | null;
  error: string | null;
  not_after: Date | null;
  fingerprint256: string | null;
  chain_valid: boolean | null;
  chain_error: string | null;
  hostname_valid: boolean | null;
  hostname_error: string | null;
};

const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());

export type CertificateView = ReturnType<typeof certificateView>;

export type CertificateListQuery = Record<string, unknown> & { status?: string; source?: string };

/**
 * The certificate monitor reads, shared by the REST handlers and the GraphQL resolvers so both
 * answer the same: the workspace's list, one monitor and its check history (tenant-scoped raw SQL).
 */
export function certificateReads(deps: { database: DatabaseService; clock: () => Date }) {
  const { database, clock } = deps;

  /** The monitor of the workspace with its endpoints' ids, or undefined (another workspace's id is not there). */
  const find = async (tenantId: string, id: string): Promise<CertificateView | undefined> => {
    const [row] = await database
      .forTenant(tenantId)
      .query<CertificateRow & { endpoint_ids: string[] }>(`SELECT ${certificateWithEndpoints} FROM certificate c WHERE c.id = ?`, [id]);
    return row ? certificateView(row, clock()) : undefined;
  };

  const certificateList = defineList({
    from: 'certificate c',
    select: certificateWithEndpoints,
    sortable: {
      notAfter: 'c.not_after',
      name: 'lower(c.name)',
      host: 'c.host',
      status: "CASE c.status WHEN 'expired' THEN 0 WHEN 'invalid' THEN 1 WHEN 'expiring' THEN 2 WHEN 'error' THEN 3 WHEN 'pending' THEN 4 ELSE 5 END",
      createdAt: 'c.created_at',
    },
    defaultSort: 'notAfter',
    equals: { status: 'c.status', source: 'c.source' },
    search: ['c.name', 'c.host', 'c.server_name'],
    tieBreaker: 'c.id',
    nullsLast: true,
    view: (row: CertificateRow & { endpoint_ids: string[] }) => certificateView(row, clock()),
  });

  return {
    find,

    /** GET /api/v1/certificates/{id}: as `find`, answering 404 for a monitor the workspace does not have. */
    async get(tenantId: string, id: string): Promise<CertificateView> {
      const view = await find(tenantId, id);
      if (!view) throw new AppError('not_found', `Certificate monitor ${id} was not found`);
      return view;
    },

    /** GET /api/v1/certificates: one page of the workspace's certificate monitors. */
    list(tenantId: string, query: CertificateListQuery) {
      return certificateList.page(database.forTenant(tenantId), query);
    },

    /** GET /api/v1/certificates/{id}/checks: handshakes of a monitor the caller owns, newest first. */
    async checks(tenantId: string, certificate: { id: string }, query: Record<string, unknown>) {
      const db = database.forTenant(tenantId);
      const list = parseListQuery<'checkedAt'>(query, { sortable: { checkedAt: 'checked_at' }, defaultSort: 'checkedAt' });
      const [rows, [count]] = await Promise.all([
        db.query<CheckRow>('SELECT * FROM certificate_check WHERE certificate_id = ? ORDER BY checked_at DESC, id DESC LIMIT ? OFFSET ?', [
          certificate.id,
          list.limit,
          list.offset,
        ]),
        db.query<{ count: string }>('SELECT count(*) AS count FROM certificate_check WHERE certificate_id = ?', [certificate.id]),
      ]);
      const data = rows.map((r) => ({
        id: r.id,
        checkedAt: iso(r.checked_at),
        ok: r.ok,
        status: r.status,
        durationMs: r.duration_ms,
        address: r.address,
        error: r.error,
        notAfter: iso(r.not_after),
        daysLeft: r.not_after ? daysLeftOf(new Date(r.not_after), new Date(r.checked_at)) : null,
        fingerprint256: r.fingerprint256,
        chainValid: r.chain_valid,
        chainError: r.chain_error,
        hostnameValid: r.hostname_valid,
        hostnameError: r.hostname_error,
      }));
      return listEnvelope(data, Number(count.count), { ...list, sortOrder: 'desc' });
    },
  };
}

export type CertificateReads = ReturnType<typeof certificateReads>;
