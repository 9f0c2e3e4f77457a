import { definePlugin, type OperationHandler, tokens } from '../../core/plugin-api/index.ts';
import { credentialPage } from './credentials/credential-list.ts';
import { registerResolvers } from './graphql/audit.resolvers.ts';
import { recordMutation } from './recording/mutation-recorder.ts';
import { sealPending } from './chain/chain-sealer.ts';
import { exportAuditRecords, listAuditRecords, verifyAuditChain } from './records/records.handlers.ts';
import { applyRetention } from './retention/audit-retention.ts';
import { getAuditRetention, setAuditRetention } from './retention/retention.handlers.ts';

/**
 * Audit (issue 18): a tamper-evident trail of every change of every plugin and of every security
 * event, written inside the changing transaction through the core's mutation observer, chained by
 * hash per workspace; list, export, verification, retention and the credentials review.
 */
export default definePlugin({
  id: 'audit',
  version: '1.0.0',
  host: '>=0.1.0 <1.0.0',
  openapi: new URL('./openapi.yaml', import.meta.url),
  graphql: new URL('./schema.graphql', import.meta.url),
  migrations: new URL('./migrations/', import.meta.url),
  observesMutations: true,
  console: {
    pages: [
      {
        path: 'audit',
        title: 'Audit trail',
        navGroup: 'Administration',
        permission: 'audit:read',
        list: '/api/v1/audit/records',
        columns: ['occurredAt', 'principal', 'action', 'target', 'outcome'],
      },
    ],
  },
  permissions: [
    { name: 'audit:read', description: 'Read and verify the workspace’s audit trail' },
    { name: 'audit:export', description: 'Export the workspace’s audit trail (NDJSON, CSV)' },
    { name: 'audit.retention:write', description: 'Set how long the workspace keeps its audit records' },
    { name: 'audit.credentials:read', description: 'List every credential that can act on the workspace (access reviews)' },
  ],
  // msp_admin holds every workspace permission; the trail is for the workspace's administrators only.
  policies: [],
  config: {
    ITOPS_AUDIT_RETENTION_INTERVAL_MINUTES: {
      type: 'integer',
      description: 'Minutes between two runs of the audit retention job (records older than a workspace’s policy are removed)',
      default: 60,
      minimum: 1,
      maximum: 10080,
    },
  },
  init(ctx) {
    const database = ctx.get(tokens.database);
    // Records are written in the changing transaction and chained in batches about every second
    // by whichever node takes the round (a round per commit would cost more than the records).
    ctx.every('seal', 1000, () => sealPending(database.platform));
    ctx.observeMutations(recordMutation);
    const handlers: Record<string, OperationHandler> = {
      listAuditRecords: (req) => listAuditRecords(database, req as never),
      exportAuditRecords: (req) => exportAuditRecords(database, req as never),
      verifyAuditChain: (req) => verifyAuditChain(database, req as never),
      getAuditRetention: (req) => getAuditRetention(database, req as never),
      setAuditRetention: (req) => setAuditRetention(database, req as never),
      listAuditCredentials: (req) => credentialPage(database.forTenant(req.tenantId as string), req.query),
    };
    for (const [operationId, handler] of Object.entries(handlers)) ctx.handle(operationId, handler);
    registerResolvers(ctx, database);
    const minutes = Number(ctx.config.ITOPS_AUDIT_RETENTION_INTERVAL_MINUTES);
    ctx.every('retention', minutes * 60_000, () => applyRetention(database.platform));
  },
});
