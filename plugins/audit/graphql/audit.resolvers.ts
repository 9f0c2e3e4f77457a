import { AppError, type DatabaseService, type PluginContext } from '../../../core/plugin-api/index.ts';
import { verifyChain } from '../chain/chain-verification.ts';
import { recordPage } from '../records/record-list.ts';
import type { AuditRecordView } from '../records/record-view.ts';

interface RecordArgs {
  limit?: number;
  offset?: number;
  from?: string;
  to?: string;
  principalKind?: string;
  principalId?: string;
  action?: string;
  target?: string;
  outcome?: string;
}

/** GraphQL reads the same list as REST; its bounds are checked here as the contract checks REST's. */
export function registerResolvers(ctx: PluginContext, database: DatabaseService): void {
  ctx.resolve(
    'Query',
    'auditRecords',
    async (_parent, args: RecordArgs, context) => {
      const limit = args.limit ?? 50;
      const offset = args.offset ?? 0;
      if (limit < 1 || limit > 1000 || offset < 0 || offset > 1_000_000) {
        throw new AppError('validation_failed', 'limit must be 1..1000 and offset 0..1000000');
      }
      for (const text of [args.principalKind, args.principalId, args.action, args.target, args.outcome]) {
        if (text !== undefined && text !== null && text.length > 500) throw new AppError('validation_failed', 'filters are at most 500 characters');
      }
      const page = await recordPage(database.forTenant(context.tenantId as string), { ...args, limit, offset, sortBy: 'occurredAt', sortOrder: 'desc' });
      return {
        total: page.page.total,
        records: (page.data as AuditRecordView[]).map((r) => ({
          ...r,
          principalKind: r.principal.kind,
          principalId: r.principal.id,
          principalName: r.principal.name,
        })),
      };
    },
    { permission: 'audit:read' },
  );
  ctx.resolve(
    'Query',
    'auditVerification',
    (_parent, _args, context) => verifyChain(database.forTenant(context.tenantId as string), context.tenantId as string),
    {
      permission: 'audit:read',
    },
  );
}
