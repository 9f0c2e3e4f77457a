import { AppError, type DatabaseService, type OperationRequest, type Tx } from '../../../core/plugin-api/index.ts';

/** The client-portal caller of a request, once its session is checked. */
export interface PortalCaller {
  tenantId: string;
  clientId: string;
  sessionId: string;
  email: string;
}

/**
 * Every portal route's data goes through here: a workspace transaction (row-level security on the
 * tenant) that also sets `itops.portal_client_id`, which the plugin's restrictive policies read, so
 * a query can return or change only the session's client's rows whatever its WHERE says.
 */
export async function inClientScope<T>(
  database: DatabaseService,
  req: Pick<OperationRequest, 'principal' | 'tenantId'>,
  work: (tx: Tx, caller: PortalCaller) => Promise<T>,
): Promise<T> {
  const principal = req.principal;
  if (principal?.kind !== 'session' || !req.tenantId) {
    throw new AppError('forbidden', 'This route answers a client-portal session (POST /api/v1/portal/session/exchange)');
  }
  const tenantId = req.tenantId;
  return database.forTenant(tenantId).transaction(async (tx) => {
    const [session] = await tx.query<{ client_id: string; email: string }>(
      'SELECT client_id, email FROM portal_session WHERE id = ? AND terminated_at IS NULL AND expires_at > now()',
      [principal.id],
    );
    if (!session) throw new AppError('unauthorized', 'The portal session has ended; exchange a new invite');
    await tx.query("SELECT set_config('itops.portal_client_id', ?, true)", [session.client_id]);
    return work(tx, { tenantId, clientId: session.client_id, sessionId: principal.id, email: session.email });
  });
}
