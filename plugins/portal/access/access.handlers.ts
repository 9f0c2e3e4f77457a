import type { DatabaseService, EventsService, OperationRequest } from '../../../core/plugin-api/index.ts';
import { inClientScope } from './client-scope.ts';
import { exchangeToken } from './portal-sessions.ts';

type Services = { database: DatabaseService; events: EventsService; sessionMinutes: number };

export async function exchangePortalSession(services: Services, req: OperationRequest<{ token: string }>) {
  return { status: 201, body: await exchangeToken(services, req.body.token) };
}

export async function terminatePortalSession({ database, events }: Services, req: OperationRequest) {
  await inClientScope(database, req, async (tx, caller) => {
    await tx.query('UPDATE portal_session SET terminated_at = now() WHERE id = ?', [caller.sessionId]);
    await events.publish(tx, { topic: 'portal.session_ended', tenantId: caller.tenantId, payload: { sessionId: caller.sessionId, clientId: caller.clientId } });
  });
  return { status: 204 };
}
