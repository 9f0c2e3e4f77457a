import { capturePublication, type PlatformDatabase, type PluginLogger } from '../../../core/plugin-api/index.ts';
import { insertSql, platformChain, recordValues } from './mutation-recorder.ts';
import { pgoutputOptions, StreamReader } from '../decoding/stream-reader.ts';
import { auditSlot, consumeWal, slotExists } from './wal-consumer.ts';

/** `ITOPS_AUDIT_CAPTURE`: where the records' rows come from. */
export type CaptureSetting = 'auto' | 'wal' | 'trigger';

export type CaptureMode = { mode: 'wal'; slot: string } | { mode: 'trigger'; slot: string; reason: string };

/**
 * WAL mode when the server can give it (`wal_level = logical`, a role that may replicate, the core's
 * publication of captured tables) and the setting allows; row capture in the transaction otherwise,
 * or when asked for. `wal` refuses to start without it. In WAL mode the slot exists before any
 * context message is sent, so none is missed.
 */
export async function chooseCapture(platform: PlatformDatabase, setting: CaptureSetting): Promise<CaptureMode> {
  const slot = await auditSlot(platform);
  if (setting === 'trigger') return { mode: 'trigger', slot, reason: 'ITOPS_AUDIT_CAPTURE=trigger' };
  const [server] = await platform.query<{ wal_level: string; may_replicate: boolean; published: boolean }>(
    `SELECT current_setting('wal_level') AS wal_level,
       (SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user) AS may_replicate,
       EXISTS (SELECT 1 FROM pg_publication WHERE pubname = ?) AS published`,
    [capturePublication],
  );
  const missing =
    server.wal_level !== 'logical'
      ? `the server's wal_level is ${server.wal_level}, not logical`
      : !server.may_replicate
        ? 'the database role may not replicate (REPLICATION)'
        : !server.published
          ? `the publication ${capturePublication} is missing (the role may not create publications)`
          : undefined;
  if (missing !== undefined) {
    if (setting === 'wal') throw new Error(`ITOPS_AUDIT_CAPTURE=wal, but ${missing}`);
    return { mode: 'trigger', slot, reason: missing };
  }
  await createSlot(platform, slot);
  const refused = await replicationRefused(platform, slot);
  if (refused !== undefined) {
    // The slot just made is drained and dropped by trigger mode's rounds (slotRetirement).
    if (setting === 'wal') throw new Error(`ITOPS_AUDIT_CAPTURE=wal, but ${refused}`);
    return { mode: 'trigger', slot, reason: refused };
  }
  return { mode: 'wal', slot };
}

/**
 * Why the server will not stream the slot to this role, if it will not: the checks above pass on a
 * server whose pg_hba.conf has no `replication` line for it, and every round would then fail while
 * the trail stayed empty. A slot in use (another node streams it) shows that it can.
 */
async function replicationRefused(platform: PlatformDatabase, slot: string): Promise<string | undefined> {
  try {
    const stream = await platform.logicalReplication({ slot, pluginOptions: pgoutputOptions(capturePublication) });
    await stream.close();
    return undefined;
  } catch (error) {
    if ((error as { code?: string }).code === '55006') return undefined;
    return `the server refuses the role a replication connection (${(error as Error).message})`;
  }
}

async function createSlot(platform: PlatformDatabase, slot: string): Promise<void> {
  try {
    await platform.query(`SELECT pg_create_logical_replication_slot(?, 'pgoutput') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)`, [
      slot,
      slot,
    ]);
  } catch (error) {
    // Another node created it at the same moment.
    if ((error as { code?: string }).code !== '42710') throw error;
  }
}

/**
 * WAL mode's part of each round: the records of what committed since the last. A slot the server
 * invalidated (it kept more WAL than max_slot_wal_keep_size while nobody read it) or that someone
 * dropped cannot give what it lost: the gap is recorded in the platform's chain (outcome failure,
 * where the records stop), and a new slot records from now on.
 */
export function walRound(platform: PlatformDatabase, slot: string, logger: PluginLogger): (signal?: AbortSignal) => Promise<number> {
  // One stream kept across rounds; a node that stops running rounds (unloads the plugin) lets go of the slot.
  const reader = new StreamReader(platform, slot, capturePublication);
  let watching = false;
  return async (signal) => {
    if (signal && !watching) {
      watching = true;
      signal.addEventListener('abort', () => void reader.close(), { once: true });
    }
    try {
      return await consumeWal(platform, slot, reader);
    } catch (error) {
      const [state] = await platform.query<{ status: string | null }>('SELECT wal_status AS status FROM pg_replication_slots WHERE slot_name = ?', [slot]);
      if (state && state.status !== 'lost') throw error;
      const reason = state ? 'the server dropped the WAL it kept for the trail (max_slot_wal_keep_size)' : 'the replication slot was dropped';
      logger.error({ slot, reason }, 'audit records lost: the WAL they were to be read from is gone; recording again from now');
      await platform.transaction(async (tx) => {
        const [position] = await tx.query<{ lsn: string }>('DELETE FROM audit_wal_position WHERE slot = ? RETURNING commit_lsn::text AS lsn', [slot]);
        const gap = {
          tenantId: platformChain,
          principalKind: 'system',
          principalId: 'plugin:audit',
          principalName: null,
          action: 'audit.records_lost',
          target: `replication_slot:${slot}`,
          outcome: 'failure' as const,
          correlationId: null,
          sourceAddress: null,
          diff: [],
          details: { reason, recordedThrough: position?.lsn ?? null },
        };
        await tx.query(insertSql(1), recordValues(gap));
      });
      if (state) await platform.query('SELECT pg_drop_replication_slot(?)', [slot]);
      await createSlot(platform, slot);
      return 0;
    }
  };
}

/**
 * In trigger mode, a slot left by WAL mode (the setting or the server changed) is drained every
 * round, so no record of a node still in WAL mode is lost, and dropped once a round found nothing to
 * write after `settleMs` (the time for a rolling restart): a slot nobody reads keeps the server's WAL.
 */
export function slotRetirement(platform: PlatformDatabase, slot: string, settleMs: number): () => Promise<void> {
  const since = Date.now();
  let retired = false;
  return async () => {
    if (retired) return;
    if (!(await slotExists(platform, slot))) {
      retired = true;
      return;
    }
    const written = await consumeWal(platform, slot);
    if (written === 0 && Date.now() - since >= settleMs) {
      await platform.query('SELECT pg_drop_replication_slot(?)', [slot]);
      retired = true;
    }
  };
}
