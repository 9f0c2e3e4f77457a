import type { DatabaseService, EventDeclaration, EventsService, PlatformEvent, PluginLogger, Tx } from '../../../core/plugin-api/index.ts';

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

/**
 * Keeps the current status and the status history of everything a status page may show, from the
 * events of the features that own it. Every node runs it on every event: a write happens only when
 * the event is newer than the last one applied (`last_event_id`) and changes the status, so one
 * node applies each change and publishes `status_page.component_changed` in the same transaction,
 * and the others find nothing to do. Events are applied in the order the bus delivers them; a
 * status this node already knows is skipped without a query (heartbeats re-announce every minute).
 */
export class StatusStore {
  private readonly known = new Map<string, ComponentStatus>();
  private tail: Promise<void> = Promise.resolve();
  private readonly waiting: { eventId: bigint; observation: Observation }[] = [];
  private working = false;

  constructor(
    private readonly deps: { database: DatabaseService; events: EventsService; logger: PluginLogger },
    private readonly limits = { maxQueued: 100_000, maxKnown: 200_000, perTransaction: 100 },
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
      this.waiting.length = 0;
      await this.tail;
    };
  }

  /** Resolves once every event received so far is applied (tests, shutdown). */
  idle(): Promise<void> {
    return this.tail;
  }

  enqueue(event: PlatformEvent): void {
    const observation = observe(event);
    if (!observation) return;
    if (this.waiting.length >= this.limits.maxQueued) {
      this.deps.logger.warn({ topic: event.topic, id: event.id }, 'status page: too many events waiting; this one is dropped');
      return;
    }
    this.waiting.push({ eventId: BigInt(event.id), observation });
    if (this.working) return;
    this.working = true;
    this.tail = this.work();
  }

  /**
   * Applies what waits, a workspace's observations up to `perTransaction` in one transaction: a
   * fleet of heartbeats going down at once is a few hundred commits, not one per heartbeat.
   */
  private async work(): Promise<void> {
    while (this.waiting.length > 0 && !this.stopped) {
      const byTenant = new Map<string, { eventId: bigint; observation: Observation }[]>();
      for (const item of this.waiting.splice(0, this.limits.perTransaction)) {
        const list = byTenant.get(item.observation.tenantId);
        if (list) list.push(item);
        else byTenant.set(item.observation.tenantId, [item]);
      }
      for (const [tenantId, items] of byTenant) await this.applyAll(tenantId, items);
    }
    this.working = false;
  }

  private async applyAll(tenantId: string, items: { eventId: bigint; observation: Observation }[]): Promise<void> {
    try {
      const applied = await this.deps.database.forTenant(tenantId).transaction(async (tx) => {
        // What this transaction stored so far, for a monitor named twice in it.
        const stored = new Map<string, ComponentStatus | undefined>();
        for (const { eventId, observation } of items) {
          if (this.stopped) break;
          const key = keyOf(observation);
          if ((stored.has(key) ? stored.get(key) : this.known.get(key)) === observation.status) continue;
          stored.set(key, (await this.applyIn(tx, eventId, observation)).status);
        }
        return stored;
      });
      for (const [key, status] of applied) this.remember(key, status);
    } catch (error) {
      // One that fails must not take the others with it: each again in a transaction of its own.
      for (const { eventId, observation } of items) {
        await this.process(eventId, observation).catch((err) =>
          this.deps.logger.error(
            { err, topic: observation.monitorType, id: eventId.toString(), batchError: String(error) },
            'status page: could not apply a status',
          ),
        );
      }
    }
  }

  private remember(key: string, status: ComponentStatus | undefined): void {
    if (this.known.size >= this.limits.maxKnown) this.known.clear();
    if (status) this.known.set(key, status);
    else this.known.delete(key);
  }

  private async process(eventId: bigint, o: Observation): Promise<void> {
    if (this.stopped) return;
    const key = keyOf(o);
    if (this.known.get(key) === o.status) return;
    this.remember(key, (await this.apply(eventId, o)).status);
  }

  /** One status into the store, and events for the components bound to it, in one transaction. */
  apply(eventId: bigint, o: Observation): Promise<Applied> {
    return this.deps.database.forTenant(o.tenantId).transaction((tx) => this.applyIn(tx, eventId, o));
  }

  /** One status into the store, and events for the components bound to it, in `tx` (the observation's workspace). */
  private async applyIn(tx: Tx, eventId: bigint, o: Observation): Promise<Applied> {
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
  }
}

const keyOf = (o: Observation) => `${o.tenantId}\u0000${o.monitorType}\u0000${o.monitorId}`;

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
