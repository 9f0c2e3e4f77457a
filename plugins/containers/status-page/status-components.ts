import {
  type DatabaseService,
  type EventDeclaration,
  type EventsService,
  isoTimestamp,
  type PlatformEvent,
  type PluginLogger,
} from '../../../core/plugin-api/index.ts';

/** What a status page says about a component. */
export const componentStatuses = ['operational', 'degraded', 'major_outage', 'maintenance', 'paused', 'unknown'] as const;
export type ComponentStatus = (typeof componentStatuses)[number];

export const monitorTypes = ['heartbeat', 'endpoint', 'container', 'sla_service'] as const;
export type MonitorType = (typeof monitorTypes)[number];

/** One status a monitored thing reported, read from an event of the plugin that owns it. */
export interface Observation {
  tenantId: string;
  monitorType: MonitorType;
  monitorId: string;
  status: ComponentStatus;
  at: Date;
}

const heartbeatStatus: Record<string, ComponentStatus> = { new: 'unknown', up: 'operational', late: 'degraded', down: 'major_outage', paused: 'paused' };
const endpointStatus: Record<string, ComponentStatus> = { pending: 'unknown', up: 'operational', down: 'major_outage', paused: 'paused' };
const slaStatus: Record<string, ComponentStatus> = {
  OPERATIONAL: 'operational',
  DEGRADED: 'degraded',
  DOWN: 'major_outage',
  MAINTENANCE: 'maintenance',
  UNKNOWN: 'unknown',
};
const containerState: Record<string, ComponentStatus> = {
  running: 'operational',
  restarting: 'degraded',
  paused: 'paused',
  created: 'unknown',
  exited: 'major_outage',
  stopped: 'major_outage',
  dead: 'major_outage',
  removing: 'major_outage',
};
const containerHealth: Record<string, ComponentStatus> = { healthy: 'operational', unhealthy: 'major_outage', starting: 'unknown' };

/** The topics the status store listens to. */
export const observedTopics: ReadonlySet<string> = new Set([
  'heartbeat.pinged',
  'heartbeat.deadline_missed',
  'heartbeat.paused',
  'heartbeat.resumed',
  'heartbeat.deleted',
  'endpoint.alert',
  'endpoint.recovery',
  'endpoint.check_result',
  'container.state_changed',
  'container.health_changed',
  'service:status_changed',
]);

const text = (value: unknown) => (typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : undefined);
const time = (value: unknown) => {
  const parsed = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(parsed) ? undefined : new Date(parsed);
};

/**
 * Reads a status out of another feature's event. Heartbeats: new → unknown, up → operational,
 * late → degraded, down → major outage, paused → paused (maintenance is what staff announce; resuming
 * unknown until the next ping, as a new heartbeat); a deleted heartbeat is unknown ("No data") from
 * then on, for a component still bound to it. Endpoints: the endpoint's status
 * (pending, up, down after the failure threshold, paused) that every check result carries, an
 * alert (down) and a recovery (up). Containers: the state (running, restarting, paused, exited…)
 * and the health check. SLA services: their five statuses. Anything unreadable is ignored.
 */
export function observe(event: PlatformEvent): Observation | undefined {
  if (!event.tenantId || typeof event.payload !== 'object' || event.payload === null) return undefined;
  const p = event.payload as Record<string, unknown>;
  const fallbackAt = new Date(event.createdAt);
  const make = (monitorType: MonitorType, monitorId: string | undefined, status: ComponentStatus | undefined, at: Date | undefined) =>
    monitorId && status ? { tenantId: event.tenantId as string, monitorType, monitorId, status, at: at ?? fallbackAt } : undefined;
  switch (event.topic) {
    case 'heartbeat.pinged':
      return make('heartbeat', text(p.heartbeatId), heartbeatStatus[String(p.status)], time(p.receivedAt));
    case 'heartbeat.deadline_missed':
      return make('heartbeat', text(p.heartbeatId), 'major_outage', time(p.downAt));
    case 'heartbeat.paused':
    case 'heartbeat.resumed':
      return make('heartbeat', text(p.heartbeatId), heartbeatStatus[String(p.status)], time(p.at));
    case 'heartbeat.deleted':
      return make('heartbeat', text(p.heartbeatId), 'unknown', time(p.at));
    case 'endpoint.check_result':
      return make('endpoint', text(p.endpointId), endpointStatus[String(p.status)], time(p.checkedAt));
    case 'endpoint.alert':
      return make('endpoint', text(p.endpointId), 'major_outage', time(p.downSince));
    case 'endpoint.recovery':
      return make('endpoint', text(p.endpointId), 'operational', time(p.recoveredAt));
    case 'container.state_changed':
      return make('container', text(p.containerId), containerState[String(p.state ?? p.status)], time(p.at));
    case 'container.health_changed':
      return make('container', text(p.containerId), containerHealth[String(p.health ?? p.status)], time(p.at));
    case 'service:status_changed':
      return make('sla_service', text(p.serviceId), slaStatus[String(p.status)], time(p.at));
    default:
      return undefined;
  }
}

/** Events the status page publishes (its own live stream is built on them). */
export const statusPageEvents: EventDeclaration[] = [
  {
    topic: 'status_page.component_changed',
    description: 'A status page component changed status because the heartbeat, endpoint, container or SLA service it is bound to did.',
    payloadSchema: {
      type: 'object',
      required: ['componentId', 'name', 'status', 'previousStatus', 'since'],
      properties: {
        componentId: { type: 'string', format: 'uuid' },
        name: { type: 'string' },
        monitorType: { type: 'string', enum: [...monitorTypes] },
        monitorId: { type: 'string' },
        status: { type: 'string', enum: [...componentStatuses] },
        previousStatus: { type: 'string', enum: [...componentStatuses] },
        since: { type: 'string', format: 'date-time' },
      },
    },
  },
  {
    topic: 'status_page.updated',
    description: 'A status page group or component was created, changed or deleted (open pages offer a reload).',
    payloadSchema: {
      type: 'object',
      required: ['kind', 'id', 'action'],
      properties: {
        kind: { type: 'string', enum: ['group', 'component'] },
        id: { type: 'string', format: 'uuid' },
        action: { type: 'string', enum: ['created', 'updated', 'deleted'] },
      },
    },
  },
  {
    topic: 'status_page.incident_changed',
    description: 'Staff posted, changed or deleted an incident of the status page; the payload is what the page shows of it (or its id and deleted: true).',
    payloadSchema: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' }, deleted: { type: 'boolean' } } },
  },
  {
    topic: 'status_page.maintenance_changed',
    description:
      'Staff scheduled, changed or deleted a maintenance window of the status page; the payload is what the page shows of it (or its id and deleted: true).',
    payloadSchema: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' }, deleted: { type: 'boolean' } } },
  },
];

/** The status now stored (undefined: not known to this node, another one wrote it), and whether this call changed it. */
type Applied = { status?: ComponentStatus; changed: boolean };

/** An observation waiting to be applied, with its monitor's key (worked out once: a burst has thousands). */
type Queued = { eventId: bigint; o: Observation; key: string };
type MonitorRow = { monitor_type: MonitorType; monitor_id: string; status: ComponentStatus; since: Date; last_event_id: string };
type Change = { key: string; o: Observation; since: Date; previous: ComponentStatus };

const keyOf = (o: Pick<Observation, 'tenantId' | 'monitorType' | 'monitorId'>) => `${o.tenantId}\u0000${o.monitorType}\u0000${o.monitorId}`;

/**
 * Keeps the current status and the status history of everything a status page may show, from the
 * events of the features that own it. Every node runs it on every event: a write happens only when
 * the event is newer than the last one applied (`last_event_id`) and changes the status, so one
 * node applies each change and publishes `status_page.component_changed` in the same transaction,
 * and the others find nothing to do. Events are applied in the order the bus delivers them; a
 * status this node already knows is skipped without a query (heartbeats re-announce every minute).
 * What queued up while a batch was written is applied together, one transaction per workspace in
 * a fixed number of statements: a burst of container events (thousands a second) would otherwise
 * cost a transaction each and hold the database from the runtime watcher that publishes them.
 */
export class StatusStore {
  private readonly known = new Map<string, ComponentStatus>();
  private queue: Queued[] = [];
  private tail: Promise<void> = Promise.resolve();
  private draining = false;

  constructor(
    private readonly deps: { database: DatabaseService; events: EventsService; logger: PluginLogger },
    private readonly limits = { maxQueued: 100_000, maxKnown: 200_000, maxBatch: 2000 },
  ) {}

  private stopped = false;

  /**
   * Subscribes to the observed topics of every workspace; returns the stop, which drops what is
   * still queued and waits for the status being applied (the database closes after the plugins).
   */
  start(): () => Promise<void> {
    const unsubscribe = this.deps.events.subscribe((event) => this.enqueue(event), { topics: observedTopics });
    return async () => {
      this.stopped = true;
      unsubscribe();
      this.queue = [];
      await this.tail;
    };
  }

  /** Resolves once every event received so far is applied (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.tail;
  }

  enqueue(event: PlatformEvent): void {
    const observation = observe(event);
    if (!observation) return;
    if (this.queue.length >= this.limits.maxQueued) {
      this.deps.logger.warn({ topic: event.topic, id: event.id }, 'status page: too many events waiting; this one is dropped');
      return;
    }
    this.queue.push({ eventId: BigInt(event.id), o: observation, key: keyOf(observation) });
    if (this.draining) return;
    this.draining = true;
    this.tail = this.drain()
      .catch((error) => this.deps.logger.error({ err: error }, 'status page: could not apply statuses'))
      .finally(() => {
        this.draining = false;
      });
  }

  private async drain(): Promise<void> {
    // Let the rest of a delivery arrive first: the bus hands over a whole read at once.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.splice(0, this.limits.maxBatch);
      // What this node already knows is skipped, in order: a status repeated within the batch too.
      const running = new Map<string, ComponentStatus | undefined>();
      const fresh = batch.filter(({ o, key }) => {
        const known = running.has(key) ? running.get(key) : this.known.get(key);
        running.set(key, o.status);
        return known !== o.status;
      });
      const byTenant = new Map<string, Queued[]>();
      for (const q of fresh) {
        const list = byTenant.get(q.o.tenantId);
        if (list) list.push(q);
        else byTenant.set(q.o.tenantId, [q]);
      }
      for (const [tenantId, queued] of byTenant) {
        const stored = await this.applyMany(tenantId, queued).catch(async (error) => {
          // One bad status must not lose the rest: apply them one by one, each on its own.
          this.deps.logger.warn({ err: error, tenantId }, 'status page: a batch of statuses failed; applying them one by one');
          const one = new Map<string, ComponentStatus | undefined>();
          for (const q of queued) {
            const applied = await this.apply(q.eventId, q.o).catch((e) => {
              this.deps.logger.error({ err: e, id: String(q.eventId) }, 'status page: could not apply a status');
              return { changed: false } as Applied;
            });
            one.set(q.key, applied.status);
          }
          return one;
        });
        if (this.known.size + stored.size >= this.limits.maxKnown) this.known.clear();
        for (const [key, status] of stored) {
          if (status) this.known.set(key, status);
          else this.known.delete(key);
        }
      }
    }
  }

  /**
   * Statuses of one workspace into the store, in event order, with the same outcome as applying
   * them one at a time: each monitor's row is read and locked once, the changes worked out in
   * memory, then written with one statement per table. Returns what each monitor's status is now
   * (undefined: another node created its row meanwhile, from this event or a later one).
   */
  async applyMany(tenantId: string, given: (Omit<Queued, 'key'> & { key?: string })[]): Promise<Map<string, ComponentStatus | undefined>> {
    const queued: Queued[] = given.map((q) => (q.key === undefined ? { ...q, key: keyOf(q.o) } : (q as Queued)));
    return this.deps.database.forTenant(tenantId).transaction(async (tx) => {
      const monitors = [...new Map(queued.map(({ o, key }) => [key, { type: o.monitorType, id: o.monitorId }])).values()];
      const rows = await tx.query<MonitorRow>(
        `SELECT m.monitor_type, m.monitor_id, m.status, m.since, m.last_event_id FROM status_monitor m
         JOIN jsonb_to_recordset(?::jsonb) AS x(type text, id text) ON m.monitor_type = x.type AND m.monitor_id = x.id
         ORDER BY m.monitor_type, m.monitor_id FOR UPDATE OF m`,
        [JSON.stringify(monitors)],
      );
      type State = { type: string; id: string; status: ComponentStatus; since: Date; lastEventId: bigint; created: boolean };
      const states = new Map<string, State>();
      for (const r of rows)
        states.set(keyOf({ tenantId, monitorType: r.monitor_type, monitorId: r.monitor_id }), {
          type: r.monitor_type,
          id: r.monitor_id,
          status: r.status,
          since: new Date(r.since),
          lastEventId: BigInt(r.last_event_id),
          created: false,
        });
      const changes: Change[] = [];
      for (const { eventId, o, key } of queued) {
        const state = states.get(key);
        if (!state) {
          states.set(key, { type: o.monitorType, id: o.monitorId, status: o.status, since: o.at, lastEventId: eventId, created: true });
          changes.push({ key, o, since: o.at, previous: 'unknown' });
          continue;
        }
        if (state.lastEventId >= eventId || state.status === o.status) continue;
        // A clock behind the previous change never moves history backwards.
        const since = o.at.getTime() < state.since.getTime() ? state.since : o.at;
        changes.push({ key, o, since, previous: state.status });
        state.status = o.status;
        state.since = since;
        state.lastEventId = eventId;
      }
      const result = new Map([...states].map(([key, s]) => [key, s.status as ComponentStatus | undefined]));
      if (changes.length === 0) return result;

      const changedKeys = new Set(changes.map((c) => c.key));
      const written = [...states].filter(([key]) => changedKeys.has(key));
      const asRow = ([, s]: [string, State]) => ({
        type: s.type,
        id: s.id,
        status: s.status,
        since: isoTimestamp(s.since),
        last_event_id: s.lastEventId.toString(),
      });
      const created = written.filter(([, s]) => s.created);
      if (created.length > 0) {
        const inserted = await tx.query<{ monitor_type: string; monitor_id: string }>(
          `INSERT INTO status_monitor (tenant_id, monitor_type, monitor_id, status, since, last_event_id)
           SELECT ?, x.type, x.id, x.status, x.since, x.last_event_id FROM jsonb_to_recordset(?::jsonb) AS x(type text, id text, status text, since timestamptz, last_event_id bigint)
           ON CONFLICT DO NOTHING RETURNING monitor_type, monitor_id`,
          [tenantId, JSON.stringify(created.map(asRow))],
        );
        const ours = new Set(inserted.map((r) => keyOf({ tenantId, monitorType: r.monitor_type as MonitorType, monitorId: r.monitor_id })));
        // Another node inserted these first, from these events or later ones: theirs to record.
        for (const [key] of created)
          if (!ours.has(key)) {
            changedKeys.delete(key);
            result.set(key, undefined);
          }
      }
      const updated = written.filter(([, s]) => !s.created);
      if (updated.length > 0)
        await tx.query(
          `UPDATE status_monitor m SET status = x.status, since = x.since, last_event_id = x.last_event_id
           FROM jsonb_to_recordset(?::jsonb) AS x(type text, id text, status text, since timestamptz, last_event_id bigint)
           WHERE m.monitor_type = x.type AND m.monitor_id = x.id`,
          [JSON.stringify(updated.map(asRow))],
        );
      const kept = changes.filter((c) => changedKeys.has(c.key));
      if (kept.length === 0) return result;
      await tx.query(
        `INSERT INTO status_monitor_change (tenant_id, monitor_type, monitor_id, at, status)
         SELECT ?, e.v->>'type', e.v->>'id', (e.v->>'at')::timestamptz, e.v->>'status' FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS e(v, n)
         ORDER BY e.n`,
        [tenantId, JSON.stringify(kept.map((c) => ({ type: c.o.monitorType, id: c.o.monitorId, at: isoTimestamp(c.since), status: c.o.status })))],
      );
      const components = await tx.query<{ id: string; name: string; monitor_type: MonitorType; monitor_id: string }>(
        `SELECT c.id, c.name, c.monitor_type, c.monitor_id FROM status_component c
         JOIN jsonb_to_recordset(?::jsonb) AS x(type text, id text) ON c.monitor_type = x.type AND c.monitor_id = x.id ORDER BY c.id`,
        [
          JSON.stringify(
            [...changedKeys].map((key) => {
              const { type, id } = states.get(key) as State;
              return { type, id };
            }),
          ),
        ],
      );
      if (components.length === 0) return result;
      const bound = new Map<string, { id: string; name: string }[]>();
      for (const c of components) {
        const key = keyOf({ tenantId, monitorType: c.monitor_type, monitorId: c.monitor_id });
        const list = bound.get(key);
        if (list) list.push(c);
        else bound.set(key, [c]);
      }
      await this.deps.events.publishMany(
        tx,
        kept.flatMap((c) =>
          (bound.get(c.key) ?? []).map((component) => ({
            topic: 'status_page.component_changed',
            tenantId,
            payload: {
              componentId: component.id,
              name: component.name,
              monitorType: c.o.monitorType,
              monitorId: c.o.monitorId,
              status: c.o.status,
              previousStatus: c.previous,
              since: c.since.toISOString(),
            },
          })),
        ),
      );
      return result;
    });
  }

  /** One status into the store, and events for the components bound to it, in one transaction. */
  async apply(eventId: bigint, o: Observation): Promise<Applied> {
    return this.deps.database.forTenant(o.tenantId).transaction(async (tx) => {
      const keyParams = [o.tenantId, o.monitorType, o.monitorId];
      // Row-level security holds the workspace: the monitor is found by its type and id alone.
      const monitorKey = [o.monitorType, o.monitorId];
      const [current] = await tx.query<{ status: ComponentStatus; since: Date; last_event_id: string }>(
        'SELECT status, since, last_event_id FROM status_monitor WHERE monitor_type = ? AND monitor_id = ? FOR UPDATE',
        monitorKey,
      );
      let since = o.at;
      if (!current) {
        const inserted = await tx.query(
          `INSERT INTO status_monitor (tenant_id, monitor_type, monitor_id, status, since, last_event_id) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING RETURNING 1`,
          [...keyParams, o.status, o.at.toISOString(), eventId.toString()],
        );
        // Another node inserted it first, from this event or a later one.
        if (inserted.length === 0) return { changed: false };
      } else {
        if (BigInt(current.last_event_id) >= eventId || current.status === o.status) return { status: current.status, changed: false };
        // A clock behind the previous change never moves history backwards.
        if (since.getTime() < new Date(current.since).getTime()) since = new Date(current.since);
        await tx.query('UPDATE status_monitor SET status = ?, since = ?, last_event_id = ? WHERE monitor_type = ? AND monitor_id = ?', [
          o.status,
          since.toISOString(),
          eventId.toString(),
          ...monitorKey,
        ]);
      }
      await tx.query('INSERT INTO status_monitor_change (tenant_id, monitor_type, monitor_id, at, status) VALUES (?, ?, ?, ?, ?)', [
        ...keyParams,
        since.toISOString(),
        o.status,
      ]);
      const components = await tx.query<{ id: string; name: string }>(
        'SELECT id, name FROM status_component WHERE monitor_type = ? AND monitor_id = ? ORDER BY id',
        monitorKey,
      );
      for (const component of components) {
        await this.deps.events.publish(tx, {
          topic: 'status_page.component_changed',
          tenantId: o.tenantId,
          payload: {
            componentId: component.id,
            name: component.name,
            monitorType: o.monitorType,
            monitorId: o.monitorId,
            status: o.status,
            previousStatus: current?.status ?? 'unknown',
            since: since.toISOString(),
          },
        });
      }
      return { status: o.status, changed: true };
    });
  }
}

/**
 * Drops history older than `keepDays` except each monitor's last change before the cut, which
 * still says what the status was when the kept window begins.
 */
export async function pruneStatusHistory(database: DatabaseService, now: Date, keepDays = 100): Promise<number> {
  const cut = new Date(now.getTime() - keepDays * 86_400_000).toISOString();
  const deleted = await database.platform.query(
    `DELETE FROM status_monitor_change c WHERE c.at < ? AND EXISTS (
       SELECT 1 FROM status_monitor_change n
       WHERE n.tenant_id = c.tenant_id AND n.monitor_type = c.monitor_type AND n.monitor_id = c.monitor_id AND n.at < ? AND (n.at, n.id) > (c.at, c.id))
     RETURNING 1`,
    [cut, cut],
  );
  return deleted.length;
}
