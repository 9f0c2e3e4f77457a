import type { SqlHandle } from '../../../core/plugin-api/index.ts';
import { type ChainReport, chainTenants, verifyChain } from './chain-verification.ts';

/**
 * What `npm run audit:verify` does, on the owner's connection (every workspace's chain, and the
 * platform's): verifies each chain, or only `workspace`'s, and says per chain whether it holds and,
 * if not, its first broken link. Exit code 0 when every chain holds, 1 when one is broken.
 */
export async function verifyAllChains(
  db: Pick<SqlHandle, 'query' | 'transaction'>,
  workspace?: string,
): Promise<{ reports: ChainReport[]; text: string; exitCode: number }> {
  const tenants = workspace ? [workspace] : await chainTenants(db.query);
  const reports: ChainReport[] = [];
  for (const tenantId of tenants) reports.push(await verifyChain(db, tenantId));
  const lines = reports.map((r) =>
    r.valid
      ? `ok      ${r.tenantId}: ${r.checked} records, chain intact up to #${r.lastSeq}${r.pending > 0 ? ` (${r.pending} not chained yet)` : ''}`
      : `BROKEN  ${r.tenantId}: first broken link at #${r.firstBroken?.seq} (${r.firstBroken?.reason}${r.firstBroken?.recordId ? `, record ${r.firstBroken.recordId}` : ''}; expected ${r.firstBroken?.expected}, found ${r.firstBroken?.found})`,
  );
  if (reports.length === 0) lines.push('no audit records yet');
  return { reports, text: `${lines.join('\n')}\n`, exitCode: reports.every((r) => r.valid) ? 0 : 1 };
}
