import type { AlertsService, DatabaseService, EventsService, PluginLogger, Tx } from '../../../core/plugin-api/index.ts';
import { type ApplyResult, applyObservations, endRestartLoops, type Observation, type RestartPolicy } from '../containers/container-store.ts';
import { type RuntimeAdapter, RuntimeCursorExpired, type RuntimeEvent, type RuntimeWorkload } from './runtime-adapter.ts';

export interface RuntimeWatcherDeps {
  database: DatabaseService;
  events: EventsService;
  alerts: AlertsService;
  logger: PluginLogger;
  clock: () => Date;
  restart: RestartPolicy;
  /** After commit: containers whose labels changed (their endpoint checks follow). */
  onLabelsChanged?: (tenantId: string, changed: ApplyResult['labelsChanged']) => Promise<void>;
}

export interface WatchRoundOptions {
  /** How long one round follows the event stream before it hands over (default 25 s, below the periodic lease). */
  roundMs?: number;
  /** A full listing again after this long, to heal anything an event stream could not say (default 10 min). */
  relistMs?: number;
  /** Events applied together in one transaction (default 500). */
  batchSize?: number;
  /** Longest an event waits for its batch (default 50 ms). */
  batchDelayMs?: number;
}

/** Observations of runtime events; workloads are applied apart. */
function observationOf(event: RuntimeEvent): Observation | undefined {
  switch (event.kind) {
    case 'state':
      return { externalId: event.externalId, at: event.at, state: event.state, exitCode: event.exitCode, reason: event.reason, container: event.container };
    case 'health':
      return { externalId: event.externalId, at: event.at, health: event.health };
    case 'changed':
      return { externalId: event.externalId, at: event.at, container: event.container };
    default:
      return undefined;
  }
}

export async function applyWorkloads(tx: Tx, tenantId: string, workloads: RuntimeWorkload[], now: Date, complete: boolean): Promise<void> {
  if (complete) await tx.query('DELETE FROM container_workload');
  const gone = workloads.filter((w) => w.removed);
  const live = workloads.filter((w) => !w.removed);
  if (live.length > 0) {
    await tx.query(
      `INSERT INTO container_workload (tenant_id, namespace, kind, name, replicas, ready_replicas, updated_at)
       SELECT ?, x.namespace, x.kind, x.name, x.replicas, x."readyReplicas", ? FROM jsonb_to_recordset(?::jsonb) AS x(namespace text, kind text, name text, replicas int, "readyReplicas" int)
       ON CONFLICT (tenant_id, namespace, kind, name) DO UPDATE SET replicas = excluded.replicas, ready_replicas = excluded.ready_replicas, updated_at = excluded.updated_at`,
      [tenantId, now.toISOString(), JSON.stringify(live)],
    );
  }
  for (const w of gone) await tx.query('DELETE FROM container_workload WHERE namespace = ? AND kind = ? AND name = ?', [w.namespace, w.kind, w.name]);
}

/**
 * Keeps one workspace's containers in step with a runtime, one round at a time (the plugin runs
 * rounds through `ctx.every`, so one node watches at once and another takes over where it left):
 * connect, list when there is no cursor (or it is old), then follow the event stream from the
 * cursor. Events are applied in batches, each in one transaction with the cursor it reached, so a
 * crash or a dropped stream repeats at most what was not committed, and nothing is lost.
 */
export class RuntimeWatcher {
  constructor(
    private readonly deps: RuntimeWatcherDeps,
    private readonly adapter: RuntimeAdapter,
    private readonly tenantId: string,
    private readonly endpoint: string,
    private readonly options: WatchRoundOptions = {},
  ) {}

  private get db() {
    return this.deps.database.forTenant(this.tenantId);
  }

  private async setState(fields: Record<string, unknown>, tx?: Tx) {
    const names = Object.keys(fields);
    const query = tx?.query ?? this.db.query;
    await query(
      `INSERT INTO container_runtime_state (tenant_id, kind, endpoint, ${names.join(', ')}, updated_at) VALUES (?, ?, ?, ${names.map(() => '?').join(', ')}, ?)
       ON CONFLICT (tenant_id) DO UPDATE SET kind = excluded.kind, endpoint = excluded.endpoint, ${names.map((n) => `${n} = excluded.${n}`).join(', ')}, updated_at = excluded.updated_at`,
      [this.tenantId, this.adapter.kind, this.endpoint, ...Object.values(fields), this.deps.clock().toISOString()],
    );
  }

  /** Label changes are applied after each batch commits, one batch after another in commit order. */
  private labelsApplied: Promise<void> = Promise.resolve();

  /**
   * One batch in one transaction. `after` is the batch before it, when that one is still in flight:
   * this one locks its containers' rows once that one holds its own (so a container both batches
   * name is changed by the older first), changes them and records their transitions meanwhile,
   * then waits for that commit before its events (so event ids follow commit order, as a client
   * resuming a stream after an id expects), before anything two batches could both write
   * (workloads, the runtime state with its cursor) and before its own commit. So cursors commit in
   * order, and a batch whose predecessor failed rolls back too. `onLocked` says when this batch
   * holds its rows (or ended without).
   */
  private async transact(
    observations: Observation[],
    workloads: RuntimeWorkload[],
    cursor: string,
    listing: boolean,
    listed?: { at: Date; startedAt: Date },
    after?: { locked: Promise<void>; committed: Promise<unknown> },
    onLocked?: () => void,
  ): Promise<ApplyResult> {
    const now = this.deps.clock();
    const result = await this.db.transaction(async (tx) => {
      await after?.locked;
      const applied = await applyObservations(tx, this.deps, this.tenantId, this.adapter.kind, observations, now, {
        removeMissing: listing,
        listedAt: listed?.at,
        listStartedAt: listed?.startedAt,
        onLocked,
        beforeEvents: after?.committed,
      });
      await after?.committed;
      if (workloads.length > 0 || listing) await applyWorkloads(tx, this.tenantId, workloads, now, listing);
      await this.setState(
        {
          cursor,
          connected: true,
          error: null,
          ...(listing ? { listed_at: now.toISOString() } : {}),
          ...(observations.length > 0 ? { last_event_at: now.toISOString() } : {}),
        },
        tx,
      );
      return applied;
    });
    return result;
  }

  /**
   * After a batch committed: the endpoints its containers' labels declare. Not part of `after`:
   * that work may wait on a container row the next batch holds while that batch waits for this one.
   */
  private async applyLabels(result: ApplyResult): Promise<void> {
    const { onLabelsChanged } = this.deps;
    if (result.labelsChanged.length === 0 || !onLabelsChanged) return;
    const labels = this.labelsApplied.then(() => onLabelsChanged(this.tenantId, result.labelsChanged));
    this.labelsApplied = labels.catch(() => undefined);
    await labels;
  }

  private async commit(observations: Observation[], workloads: RuntimeWorkload[], cursor: string, listing: boolean, listed?: { at: Date; startedAt: Date }) {
    const result = await this.transact(observations, workloads, cursor, listing, listed);
    await this.applyLabels(result);
    return result;
  }

  /** One round; resolves when the round's time is up, the stream dropped, or `signal` aborted. */
  async round(signal: AbortSignal): Promise<void> {
    const roundMs = this.options.roundMs ?? 25_000;
    try {
      const info = await this.adapter.connect();
      const [state] = await this.db.query<{ cursor: string | null; listed_at: Date | null; connected: boolean }>(
        'SELECT cursor, listed_at, connected FROM container_runtime_state',
      );
      await this.setState({
        connected: true,
        error: null,
        api_version: info.apiVersion,
        server_version: info.serverVersion,
        ...(state?.connected ? {} : { connected_at: this.deps.clock().toISOString() }),
      });
      let cursor = state?.cursor ?? null;
      const stale = !state?.listed_at || this.deps.clock().getTime() - new Date(state.listed_at).getTime() > (this.options.relistMs ?? 600_000);
      if (!cursor || stale) {
        const startedAt = this.deps.clock();
        const listed = await this.adapter.list();
        await this.commit(
          listed.containers.map((c) => ({ externalId: c.externalId, at: listed.at, container: c })),
          listed.workloads,
          listed.cursor,
          true,
          { at: listed.at, startedAt },
        );
        cursor = listed.cursor;
      }
      await this.follow(cursor, signal, roundMs);
      await this.db.transaction((tx) => endRestartLoops(tx, this.deps, this.tenantId, this.deps.clock()));
    } catch (error) {
      if (error instanceof RuntimeCursorExpired) {
        // The runtime forgot that history: the next round lists afresh.
        await this.setState({ cursor: null, error: error.message });
        return;
      }
      this.deps.logger.warn({ err: error, runtime: this.adapter.kind }, 'container runtime unreachable');
      await this.setState({ connected: false, error: (error as Error).message.slice(0, 1000) }).catch(() => undefined);
    }
  }

  private async follow(from: string, signal: AbortSignal, roundMs: number) {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), roundMs);
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let pending: Observation[] = [];
    let workloads: RuntimeWorkload[] = [];
    let cursor = from;
    let flushedUpTo = from;
    let flushTimer: NodeJS.Timeout | undefined;
    // Batches in flight: the newest one's lock and commit, which the next batch waits for (see
    // `transact`), and the whole handling (labels too) of the newest and of the one before it,
    // which the stream waits for, so that at most two are in flight while events keep coming.
    let newestLocked: Promise<void> = Promise.resolve();
    let newestCommit: Promise<unknown> = Promise.resolve();
    let newest: Promise<void> = Promise.resolve();
    let older: Promise<void> = Promise.resolve();
    const flush = () => {
      clearTimeout(flushTimer);
      flushTimer = undefined;
      if (cursor === flushedUpTo) return newest;
      const batch = pending;
      const batchWorkloads = workloads;
      const upTo = cursor;
      pending = [];
      workloads = [];
      flushedUpTo = upTo;
      let onLocked = () => {};
      const locked = new Promise<void>((resolve) => {
        onLocked = resolve;
      });
      const committed = this.transact(batch, batchWorkloads, upTo, false, undefined, { locked: newestLocked, committed: newestCommit }, onLocked);
      // A batch that failed before it locked anything frees the next one to fail on its commit.
      const settled = committed.then(onLocked, onLocked);
      const done = committed.then((result) => this.applyLabels(result));
      // Awaited by whoever waits on them; a failure also fails the round through the next wait.
      done.catch(() => undefined);
      older = newest;
      // A batch that describes containers may create their rows, which the next batch could not
      // lock before this one commits: the next one then starts after it (workloads alike).
      newestLocked = batch.some((o) => o.container) || batchWorkloads.length > 0 ? settled : locked;
      newestCommit = committed;
      newest = done;
      return done;
    };
    // A batch the timer hands over waits its turn too: at most two in flight.
    const flushInTurn = () => void newest.then(flush, flush).catch(() => undefined);
    try {
      await this.adapter.watch(
        from,
        async (event, next) => {
          if (event.kind === 'workload') workloads.push(event.workload);
          else {
            const o = observationOf(event);
            if (o) pending.push(o);
          }
          cursor = next;
          if (pending.length + workloads.length >= (this.options.batchSize ?? 500)) {
            // Hand this batch over, then wait for the one before it: at most two in flight.
            flush();
            await older;
          } else flushTimer ??= setTimeout(flushInTurn, this.options.batchDelayMs ?? 50);
        },
        stop.signal,
      );
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    await flush();
  }
}
