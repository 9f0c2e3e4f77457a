import { definePlugin, type OperationHandler, tokens } from '../../core/plugin-api/index.ts';
import { credentialPage } from './credentials/credential-list.ts';
import { registerResolvers } from './graphql/audit.resolvers.ts';
import { type CaptureSetting, chooseCapture, slotRetirement, walRound } from './recording/capture-mode.ts';
import { sendContext } from './recording/context-message.ts';
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
    ITOPS_AUDIT_CAPTURE: {
      type: 'string',
      enum: ['auto', 'wal', 'trigger'],
      description:
        'Where records get their row changes. `trigger`: captured and written inside the changing transaction; `wal`: read after commit from the WAL (logical decoding; the transaction only adds its request’s context), which needs wal_level = logical (the embedded server: ITOPS_EMBEDDED_DB_WAL_LEVEL=logical) and a role with REPLICATION that pg_hba.conf lets open a replication connection; `auto`: wal where the server allows all of it, else trigger.',
      default: 'trigger',
    },
    ITOPS_AUDIT_RETENTION_INTERVAL_MINUTES: {
      type: 'integer',
      description: 'Minutes between two runs of the audit retention job (records older than a workspace’s policy are removed)',
      default: 60,
      minimum: 1,
      maximum: 10080,
    },
  },
  async init(ctx) {
    const database = ctx.get(tokens.database);
    const capture = await chooseCapture(database.platform, ctx.config.ITOPS_AUDIT_CAPTURE as CaptureSetting);
    // WAL mode: the transaction sends its context with the COMMIT and the round writes the records
    // from the WAL. Trigger mode: records are written in the changing transaction. Either way they
    // are chained in batches about every second by whichever node takes the round.
    const beforeSealing =
      capture.mode === 'wal' ? walRound(database.platform, capture.slot, ctx.logger) : slotRetirement(database.platform, capture.slot, 5 * 60_000);
    ctx.every('seal', 1000, async (signal) => {
      await beforeSealing(signal);
      await sealPending(database.platform);
    });
    if (capture.mode === 'wal') ctx.observeMutations(sendContext, { rows: false });
    else ctx.observeMutations(recordMutation);
    ctx.logger.info({ capture: capture.mode, ...(capture.mode === 'trigger' ? { reason: capture.reason } : { slot: capture.slot }) }, 'audit capture');
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
