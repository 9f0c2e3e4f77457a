import { lsnValue, type PlatformDatabase } from '../../../core/plugin-api/index.ts';
import { auditSlot, consumeWal, position, slotExists } from '../recording/wal-consumer.ts';

const perRound = 5000;

/**
 * Chains every record whose transaction is over, workspace by workspace (audit_seal: the chain
 * head's row locked FOR UPDATE, records in insertion order). Runs on the owner's connection, the
 * only role the append-only trigger lets set a record's seal. Returns how many it sealed.
 */
export async function sealPending(platform: PlatformDatabase): Promise<number> {
  const tenants = await platform.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM audit_record WHERE seq IS NULL');
  let sealed = 0;
  for (const { tenant_id: tenantId } of tenants) {
    for (;;) {
      const [row] = await platform.query<{ n: number }>('SELECT audit_seal(?, ?) AS n', [tenantId, perRound]);
      sealed += row.n;
      if (row.n < perRound) break;
    }
  }
  return sealed;
}

/**
 * Seals until no committed record is left unsealed, for tests and tools that need the whole chain
 * now: `sealPending` leaves records younger than the oldest transaction still open anywhere on the
 * server (their order is not final yet), and on a busy server a round can find none ready. In WAL
 * mode, the records of what committed so far are written from the WAL first.
 */
export async function sealAll(platform: PlatformDatabase, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const slot = await auditSlot(platform);
  if (await slotExists(platform, slot)) await consumeOnce(platform, slot, until);
  for (;;) {
    await sealPending(platform);
    const [left] = await platform.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_record WHERE seq IS NULL');
    if (left.n === 0) return;
    if (Date.now() > until) throw new Error(`${left.n} audit records are still unsealed after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The records of everything committed before the call: a marker message is committed, then the
 * WAL is read until the written position passes it. The round of whichever node streams the slot
 * (it is then in use) gets there within a second or so; a slot nobody holds is read here.
 */
async function consumeOnce(platform: PlatformDatabase, slot: string, until: number): Promise<void> {
  const [mark] = await platform.query<{ lsn: string }>("SELECT pg_logical_emit_message(true, 'itops-audit-mark', '')::text AS lsn");
  for (;;) {
    try {
      await consumeWal(platform, slot);
    } catch (error) {
      if ((error as { code?: string }).code !== '55006') throw error;
    }
    const written = await position(platform, slot);
    if (written !== null && lsnValue(written) > lsnValue(mark.lsn)) return;
    if (Date.now() > until) throw new Error(`the audit records of the WAL up to ${mark.lsn} were not written in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
