import { randomFillSync } from 'node:crypto';
import { type AlertsService, AppError, type DatabaseService, type EventsService, type PluginLogger } from '../../../core/plugin-api/index.ts';
import { alertHeartbeatChanges, movesAlert } from './heartbeat-alerts.ts';
import { type HeartbeatRow, rulesOf, stateOf } from './heartbeat-rows.ts';
import { applyPing, type HeartbeatRules, type HeartbeatState, type PingKind } from './ping-semantics.ts';

/** A ping as the public route received it. */
export interface IncomingPing {
  uuid: string;
  kind: PingKind;
  exitCode: number | null;
  rid: string | null;
  at: Date;
  method: string;
  remoteAddr: string | null;
  userAgent: string | null;
  /** The stored part of the body (at most the body limit). */
  body: string | null;
  /** The body's full size in bytes. */
  bodyBytes: number;
}

/** The heartbeat a ping was recorded for, or null when no heartbeat has its uuid. */
export type PingAck = { heartbeatId: string } | null;

/**
 * `heartbeat.pinged` is published when a ping changes the heartbeat's status, and otherwise at most
 * once per heartbeat per this interval: pings are high-volume (a heartbeat pinged every second would
 * flood SSE clients and webhooks), while the raw pings are all in GET /heartbeats/{id}/pings.
 */
export const pingedEventIntervalMs = 60_000;

const pool = Buffer.alloc(16 * 256);
let poolAt = pool.length;
let lastMs = -1;
let sequence = 0;

/**
 * A UUIDv7 (RFC 9562): time-ordered, so ping rows append to the primary key and retention deletes
 * by id range (the id keeps the receive time, even when the clock steps back). Ids this process makes
 * within one millisecond increase (a 12-bit counter), so pings received in the same millisecond
 * keep their arrival order.
 */
export function uuidv7(receivedMs: number): string {
  const ms = Math.floor(receivedMs);
  // The same millisecond: the counter orders them (beyond 4096 in one millisecond, the random bits do).
  if (ms === lastMs) sequence = Math.min(sequence + 1, 0xfff);
  else {
    lastMs = ms;
    sequence = 0;
  }
  if (poolAt >= pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const b = pool.subarray(poolAt, poolAt + 16);
  poolAt += 16;
  b[0] = Math.floor(ms / 2 ** 40) & 0xff;
  b[1] = Math.floor(ms / 2 ** 32) & 0xff;
  b[2] = (ms >>> 24) & 0xff;
  b[3] = (ms >>> 16) & 0xff;
  b[4] = (ms >>> 8) & 0xff;
  b[5] = ms & 0xff;
  b[6] = 0x70 | (sequence >> 8);
  b[7] = sequence & 0xff;
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The smallest UUIDv7 of a millisecond: pings with a smaller id were received before it. */
export function uuidv7Floor(ms: number): string {
  const hex = Math.floor(ms).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
}

/** A time as the write statement takes it (undefined: left out of the JSON, read as null). */
const ms = (d: Date | null) => (d ? d.getTime() : undefined);
/** Left out of the JSON when null. */
const present = <T>(value: T | null) => (value === null ? undefined : value);

/** Heartbeat columns a ping batch reads, with the row version (`xmin`) its write is conditional on. */
const readSql = `
  SELECT id, tenant_id, ping_uuid, name, kind, period_seconds, cron, timezone, grace_seconds, start_grace_seconds, status, status_reason,
    last_ping_at, last_ping_kind, open_runs, last_duration_ms, last_exit_code, ping_count, expected_at, down_at, due_at, last_event_at,
    xmin::text AS version
  FROM heartbeat WHERE ping_uuid = ANY (?::uuid[])`;

/**
 * One statement writes a whole batch: each heartbeat is updated only if its row is still the
 * version the batch read (compare-and-set on `xmin`; a concurrent writer, e.g. another node, the
 * deadline evaluator or an API call, makes it skip), and only the pings and status changes of the
 * heartbeats it did update are inserted. The statement is atomic, and durable when it returns.
 * The ids again as an array (`= ANY`) keep the heartbeats read through their primary key: the
 * prepared statement's generic plan guesses 100 rows for the JSON and, up to a few thousand
 * heartbeats, scanned the whole table for every batch (a fifth of PostgreSQL's CPU per ping
 * at 1,000 heartbeats).
 * Times travel as epoch milliseconds and null fields not at all: reading a JSON number costs
 * PostgreSQL a quarter of parsing an ISO timestamp, and formatting one costs Node 0.4 µs.
 */
export const pingWriteSql = `
  WITH updated AS (
    UPDATE heartbeat h SET
      status = u.status, status_reason = u.status_reason, status_changed_at = coalesce(to_timestamp(u.status_changed_at / 1000), h.status_changed_at),
      last_ping_at = to_timestamp(u.last_ping_at / 1000), last_ping_kind = u.last_ping_kind, open_runs = coalesce(u.open_runs, '[]'),
      last_duration_ms = u.last_duration_ms, last_exit_code = u.last_exit_code, ping_count = u.ping_count,
      expected_at = to_timestamp(u.expected_at / 1000), down_at = to_timestamp(u.down_at / 1000),
      due_at = CASE WHEN u.status = h.status AND h.due_at IS NOT NULL AND u.due_at IS NOT NULL THEN least(h.due_at, to_timestamp(u.due_at / 1000))
        ELSE to_timestamp(u.due_at / 1000) END,
      last_event_at = to_timestamp(u.last_event_at / 1000)
    FROM json_to_recordset(?::json) AS u(id uuid, version xid, status text, status_reason text, status_changed_at float8, last_ping_at float8,
      last_ping_kind text, open_runs jsonb, last_duration_ms bigint, last_exit_code smallint, ping_count bigint, expected_at float8,
      down_at float8, due_at float8, last_event_at float8)
    WHERE h.id = u.id AND h.xmin = u.version AND h.id = ANY (?::uuid[])
    RETURNING h.id, h.xmin::text AS version
  ), new_pings AS (
    INSERT INTO heartbeat_ping (id, tenant_id, heartbeat_id, kind, received_at, exit_code, rid, duration_ms, start_ping_id, method, remote_addr, user_agent, body, body_bytes)
    SELECT x.id, x.tenant_id, x.heartbeat_id, x.kind, to_timestamp(x.received_at / 1000), x.exit_code, x.rid, x.duration_ms, x.start_ping_id, x.method,
      x.remote_addr, x.user_agent, x.body, x.body_bytes
    FROM json_to_recordset(?::json) AS x(id uuid, tenant_id text, heartbeat_id uuid, kind text, received_at float8, exit_code smallint, rid uuid,
      duration_ms bigint, start_ping_id uuid, method text, remote_addr text, user_agent text, body text, body_bytes integer)
    WHERE x.heartbeat_id IN (SELECT id FROM updated)
  ), new_flips AS (
    INSERT INTO heartbeat_flip (tenant_id, heartbeat_id, at, from_status, to_status, reason)
    SELECT f.tenant_id, f.heartbeat_id, to_timestamp(f.at / 1000), f.from_status, f.to_status, f.reason
    FROM json_to_recordset(?::json) AS f(tenant_id text, heartbeat_id uuid, at float8, from_status text, to_status text, reason text)
    WHERE f.heartbeat_id IN (SELECT id FROM updated)
  )
  SELECT id, version FROM updated`;

/** A heartbeat's state as the write statement takes it. */
function writtenState(state: HeartbeatState) {
  return {
    status: state.status,
    status_reason: present(state.statusReason),
    last_ping_at: ms(state.lastPingAt),
    last_ping_kind: present(state.lastPingKind),
    open_runs: state.openRuns.length > 0 ? state.openRuns : undefined,
    last_duration_ms: present(state.lastDurationMs),
    last_exit_code: present(state.lastExitCode),
    ping_count: state.pingCount,
    expected_at: ms(state.expectedAt),
    down_at: ms(state.downAt),
    due_at: ms(state.dueAt),
  };
}

type ReadRow = HeartbeatRow & { version: string };

interface Touched {
  row: ReadRow;
  rules: HeartbeatRules;
  state: HeartbeatState;
  statusChangedAt: Date | null;
  lastEventAt: Date | null;
  pinged: boolean;
}

/** A batch applied in memory, ready to be written. */
interface Prepared {
  acks: (PingAck | undefined)[];
  touched: Map<string, Touched>;
  pingRows: (Record<string, unknown> & { heartbeat_id: string })[];
  flips: (Record<string, unknown> & { heartbeat_id: string })[];
  events: { heartbeatId: string; tenantId: string; payload: Record<string, unknown> }[];
}

/**
 * Writes a batch of pings: reads the heartbeats they name, applies the pings in arrival order in
 * memory, then writes every ping row, status change and heartbeat update in one statement, whatever
 * the batch's size. A batch with `heartbeat.pinged` events to publish writes them in one transaction
 * with that statement, and so does one that takes a heartbeat down or brings it back: its alert is
 * raised or resolved in that transaction (only then: a batch that changes no status adds no query).
 * Heartbeats changed by someone else in between are read again and their pings
 * applied again (a few times at most, then 503).
 *
 * The rows this store wrote last are kept in memory with their version: a heartbeat pinged again
 * needs no read, so a batch is one round trip. A stale copy costs nothing but a retry: the write is
 * conditional on the version, so a change by another node, the evaluator or the API is never lost.
 */
export class PingStore {
  private readonly known = new Map<string, ReadRow>();
  /** Prepared once per connection: parsing and planning it cost PostgreSQL about a sixth of a batch's CPU. */
  private readonly writeStatement;

  constructor(
    private readonly deps: {
      database: DatabaseService;
      events: EventsService;
      alerts: AlertsService;
      /** Heartbeat rows kept in memory (default 50,000). */
      cacheSize?: number;
    },
  ) {
    this.writeStatement = deps.database.platform.statement<{ id: string; version: string }>(pingWriteSql);
  }

  async commit(pings: IncomingPing[]): Promise<(PingAck | AppError)[]> {
    const results: (PingAck | AppError | undefined)[] = new Array(pings.length).fill(undefined);
    let pending = pings.map((_, i) => i);
    for (let attempt = 0; pending.length > 0 && attempt < 5; attempt++) {
      const batch = pending.map((i) => pings[i]);
      const prepared = await this.prepare(batch);
      const applied = await this.write(prepared);
      this.remember(prepared, applied);
      const retry: number[] = [];
      prepared.acks.forEach((ack, j) => {
        if (ack === null || (ack && applied.has(ack.heartbeatId))) results[pending[j]] = ack;
        else retry.push(pending[j]);
      });
      pending = retry;
    }
    return results.map((r) =>
      r === undefined ? new AppError('unavailable', 'The heartbeat changed while the ping was stored; retry', { headers: { 'Retry-After': '1' } }) : r,
    );
  }

  /** Keeps the rows as written (with their new version); forgets those whose write was skipped. */
  private remember(prepared: Prepared, applied: Map<string, string>): void {
    const limit = this.deps.cacheSize ?? 50_000;
    for (const [uuid, t] of prepared.touched) {
      if (!t.pinged) continue;
      this.known.delete(uuid);
      const version = applied.get(t.row.id);
      if (version === undefined || limit <= 0) continue;
      const old = t.row;
      const { state } = t;
      // What the write statement stored: due_at only moves earlier while the status stays.
      const keepDue = state.status === old.status && old.due_at !== null && state.dueAt !== null;
      const dueAt = keepDue ? new Date(Math.min(new Date(old.due_at as Date).getTime(), (state.dueAt as Date).getTime())) : state.dueAt;
      // The row as stored, its times kept as dates (a cached row is read again by stateOf, not by SQL).
      this.known.set(uuid, {
        ...old,
        status: state.status,
        status_reason: state.statusReason,
        last_ping_kind: state.lastPingKind,
        last_duration_ms: state.lastDurationMs,
        last_exit_code: state.lastExitCode,
        ping_count: state.pingCount,
        open_runs: state.openRuns,
        last_ping_at: state.lastPingAt,
        expected_at: state.expectedAt,
        down_at: state.downAt,
        due_at: dueAt,
        status_changed_at: t.statusChangedAt ?? old.status_changed_at,
        last_event_at: t.lastEventAt,
        version,
      });
      if (this.known.size > limit) this.known.delete(this.known.keys().next().value as string);
    }
  }

  private async prepare(pings: IncomingPing[]): Promise<Prepared> {
    const uuids = [...new Set(pings.map((p) => p.uuid.toLowerCase()))];
    const rows: ReadRow[] = [];
    const unknown: string[] = [];
    for (const uuid of uuids) {
      const row = this.known.get(uuid);
      if (row) rows.push(row);
      else unknown.push(uuid);
    }
    if (unknown.length > 0) rows.push(...(await this.deps.database.platform.query<ReadRow>(readSql, [`{${unknown.join(',')}}`])));
    const touched = new Map<string, Touched>();
    for (const row of rows) {
      touched.set(row.ping_uuid, {
        row,
        rules: rulesOf(row),
        state: stateOf(row),
        statusChangedAt: null,
        lastEventAt: row.last_event_at ? new Date(row.last_event_at) : null,
        pinged: false,
      });
    }
    const prepared: Prepared = { acks: [], touched, pingRows: [], flips: [], events: [] };
    for (const ping of pings) {
      const t = touched.get(ping.uuid.toLowerCase());
      if (!t) {
        prepared.acks.push(null);
        continue;
      }
      const id = uuidv7(ping.at.getTime());
      const before = t.state;
      const outcome = applyPing(t.rules, before, { id, kind: ping.kind, exitCode: ping.exitCode, rid: ping.rid, at: ping.at });
      t.state = outcome.state;
      t.pinged = true;
      const { row } = t;
      prepared.pingRows.push({
        id,
        tenant_id: row.tenant_id,
        heartbeat_id: row.id,
        kind: ping.kind,
        received_at: ping.at.getTime(),
        exit_code: present(ping.exitCode),
        rid: present(ping.rid),
        duration_ms: present(outcome.durationMs),
        start_ping_id: present(outcome.startPingId),
        method: ping.method,
        remote_addr: present(ping.remoteAddr),
        user_agent: present(ping.userAgent),
        body: present(ping.body),
        body_bytes: ping.bodyBytes,
      });
      if (outcome.flip) {
        t.statusChangedAt = ping.at;
        prepared.flips.push({
          tenant_id: row.tenant_id,
          heartbeat_id: row.id,
          at: ping.at.getTime(),
          from_status: outcome.flip.from,
          to_status: outcome.flip.to,
          reason: outcome.flip.reason,
        });
      }
      if (outcome.flip || !t.lastEventAt || ping.at.getTime() - t.lastEventAt.getTime() >= pingedEventIntervalMs) {
        t.lastEventAt = ping.at;
        prepared.events.push({
          heartbeatId: row.id,
          tenantId: row.tenant_id,
          payload: {
            heartbeatId: row.id,
            name: row.name,
            kind: ping.kind,
            status: outcome.state.status,
            previousStatus: before.status,
            exitCode: ping.exitCode,
            rid: ping.rid,
            durationMs: outcome.durationMs,
            receivedAt: ping.at.toISOString(),
          },
        });
      }
      prepared.acks.push({ heartbeatId: row.id });
    }
    return prepared;
  }

  /** Writes a prepared batch; returns the heartbeats it updated, with their new row version. */
  private async write(prepared: Prepared): Promise<Map<string, string>> {
    if (prepared.pingRows.length === 0) return new Map();
    const updates = [...prepared.touched.values()]
      .filter((t) => t.pinged)
      .map((t) => ({
        id: t.row.id,
        version: t.row.version,
        ...writtenState(t.state),
        status_changed_at: ms(t.statusChangedAt),
        last_event_at: ms(t.lastEventAt),
      }));
    const params = [JSON.stringify(updates), `{${updates.map((u) => u.id).join(',')}}`, JSON.stringify(prepared.pingRows), JSON.stringify(prepared.flips)];
    // The batch's net change per heartbeat (from the row it read to its final state) decides its alert.
    const alerting = [...prepared.touched.values()].filter((t) => t.pinged && movesAlert(t.row.status, t.state.status));
    if (prepared.events.length === 0 && alerting.length === 0) {
      const updated = await this.writeStatement(params);
      return new Map(updated.map((u) => [u.id, u.version]));
    }
    // Events go into the outbox in the same transaction as the change they report.
    return this.deps.database.platform.transaction(async (tx) => {
      const { query } = tx;
      const updated = new Map((await query<{ id: string; version: string }>(pingWriteSql, params)).map((u) => [u.id, u.version]));
      await this.deps.events.publishMany(
        tx,
        prepared.events
          .filter((event) => updated.has(event.heartbeatId))
          .map((event) => ({ topic: 'heartbeat.pinged', tenantId: event.tenantId, payload: event.payload })),
      );
      // A heartbeat whose write was skipped (changed by someone else) is applied again, alert and all.
      await alertHeartbeatChanges(
        tx,
        this.deps.alerts,
        alerting
          .filter(({ row }) => updated.has(row.id))
          .map(({ row, state }) => ({ tenantId: row.tenant_id, id: row.id, name: row.name, from: row.status, to: state.status, reason: state.statusReason })),
      );
      return updated;
    });
  }
}

interface Waiting<I, O> {
  item: I;
  key: string;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: callers `submit` one item each and wait; a writer takes everything that queued up
 * while the previous transactions were committing and writes it as the next batch. Under load a
 * batch holds as many pings as arrived during one commit (fsync), so durable throughput grows
 * with concurrency instead of being capped at one commit per ping; idle, a ping waits only for
 * its own commit. Every caller is answered after its batch committed, or with the error.
 *
 * Up to `maxInFlight` batches commit side by side: while one waits for its WAL flush, the next is
 * already being written, and callers answered by the first can join the one after. Items with the
 * same key (a heartbeat) are never in two batches at once: one waits, in order, until the batch
 * holding its key has committed, so a batch always starts from its heartbeats' committed state.
 */
export class GroupCommitter<I, O> {
  private queue: Waiting<I, O>[] = [];
  private readonly busyKeys = new Map<string, number>();
  private inFlight = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly write: (items: I[]) => Promise<O[]>,
    private readonly options: {
      maxBatch: number;
      /** Items waiting at most; beyond it callers get 503 with Retry-After. */
      maxQueued: number;
      /** Batches committing side by side (default 1). */
      maxInFlight?: number;
      /** Items of one key are applied in order, one batch at a time (default: all share one key). */
      keyOf?: (item: I) => string;
      /** Size of an item (e.g. its body) towards maxBatchBytes. */
      sizeOf?: (item: I) => number;
      maxBatchBytes?: number;
      logger?: PluginLogger;
    },
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  submit(item: I): Promise<O> {
    if (this.closed) return Promise.reject(new AppError('unavailable', 'The server is shutting down; retry', { headers: { 'Retry-After': '1' } }));
    if (this.queue.length >= this.options.maxQueued) {
      return Promise.reject(new AppError('unavailable', 'Too many pings are waiting to be stored; retry', { headers: { 'Retry-After': '1' } }));
    }
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, key: this.options.keyOf?.(item) ?? '', resolve, reject });
      this.schedule();
    });
  }

  /** Stops taking items and waits for those already taken. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.inFlight > 0 || this.queue.length > 0 || this.scheduled) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  /** Starts a batch on the next turn, so the requests parsed in this turn share it. */
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= (this.options.maxInFlight ?? 1)) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.takeBatch();
      if (batch.length > 0) {
        void this.run(batch);
        this.schedule();
      }
      this.settleIdle();
    });
  }

  /** The oldest items whose key no committing batch holds, within the batch's count and bytes. */
  private takeBatch(): Waiting<I, O>[] {
    const { maxBatch, sizeOf, maxBatchBytes } = this.options;
    const taken: Waiting<I, O>[] = [];
    const left: Waiting<I, O>[] = [];
    let bytes = 0;
    let full = false;
    for (const waiting of this.queue) {
      if (full || this.busyKeys.has(waiting.key)) {
        left.push(waiting);
        continue;
      }
      const size = sizeOf && maxBatchBytes ? sizeOf(waiting.item) : 0;
      if (taken.length >= maxBatch || (taken.length > 0 && maxBatchBytes !== undefined && bytes + size > maxBatchBytes)) {
        full = true;
        left.push(waiting);
        continue;
      }
      bytes += size;
      taken.push(waiting);
    }
    this.queue = left;
    return taken;
  }

  private async run(batch: Waiting<I, O>[]): Promise<void> {
    this.inFlight += 1;
    const keys = new Set(batch.map((w) => w.key));
    for (const key of keys) this.busyKeys.set(key, (this.busyKeys.get(key) ?? 0) + 1);
    try {
      const results = await this.write(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        w.resolve(results[i]);
      });
    } catch (error) {
      this.options.logger?.error({ err: error, pings: batch.length }, 'a batch of pings could not be stored');
      // Never acknowledge what is not durable: every ping of the batch gets a retryable error.
      const answer =
        error instanceof AppError ? error : new AppError('unavailable', 'The ping could not be stored; retry', { headers: { 'Retry-After': '1' } });
      for (const w of batch) w.reject(answer);
    } finally {
      for (const key of keys) {
        const left = (this.busyKeys.get(key) ?? 1) - 1;
        if (left === 0) this.busyKeys.delete(key);
        else this.busyKeys.set(key, left);
      }
      this.inFlight -= 1;
      this.schedule();
      this.settleIdle();
    }
  }

  private settleIdle(): void {
    if (this.inFlight > 0 || this.scheduled || this.queue.length > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}

/**
 * The node's pings, group-committed with up to `inFlight` batches committing side by side; the
 * pings of one heartbeat are applied in arrival order, one batch at a time.
 */
export class PingIngest {
  private readonly committer: GroupCommitter<IncomingPing, PingAck | AppError>;

  constructor(
    store: Pick<PingStore, 'commit'>,
    options: { inFlight: number; maxBatch: number; maxQueued: number; maxBatchBytes: number; logger?: PluginLogger },
  ) {
    this.committer = new GroupCommitter<IncomingPing, PingAck | AppError>((pings) => store.commit(pings), {
      maxBatch: options.maxBatch,
      maxQueued: options.maxQueued,
      maxInFlight: Math.max(1, options.inFlight),
      keyOf: (ping) => ping.uuid,
      sizeOf: (ping) => (ping.body?.length ?? 0) + 200,
      maxBatchBytes: options.maxBatchBytes,
      logger: options.logger,
    });
  }

  /** Resolves once the ping is stored (null: no heartbeat has its uuid); rejects when it was not stored. */
  async submit(ping: IncomingPing): Promise<PingAck> {
    const result = await this.committer.submit(ping);
    if (result instanceof AppError) throw result;
    return result;
  }

  close(): Promise<void> {
    return this.committer.close();
  }
}
