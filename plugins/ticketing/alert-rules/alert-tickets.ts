import {
  type Alert,
  type AlertsService,
  AppError,
  type DatabaseService,
  type EventsService,
  type PlatformEvent,
  type PluginLogger,
  type Tx,
} from '../../../core/plugin-api/index.ts';
import type { TicketRow } from '../tickets/ticket-rows.ts';
import type { TicketStore } from '../tickets/ticket-store.ts';
import type { AlertRuleRow } from './alert-rules.ts';

const severityRank = { info: 0, warning: 1, critical: 2 } as const;

export function ruleMatches(
  rule: Pick<AlertRuleRow, 'enabled' | 'source' | 'min_severity' | 'labels'>,
  alert: Pick<Alert, 'source' | 'severity' | 'labels'>,
): boolean {
  if (!rule.enabled) return false;
  if (rule.source !== null && rule.source !== alert.source) return false;
  if (severityRank[alert.severity] < severityRank[rule.min_severity]) return false;
  return Object.entries(rule.labels).every(([key, value]) => alert.labels?.[key] === value);
}

const describe = (alert: Alert) =>
  [
    alert.message ?? '',
    '',
    `Alert ${alert.id} from ${alert.source} (${alert.entityType} ${alert.entityId}), severity ${alert.severity}, firing since ${alert.firstSeenAt}.`,
    ...Object.entries(alert.labels ?? {}).map(([k, v]) => `${k}: ${v}`),
  ]
    .join('\n')
    .trim();

/**
 * Alerts and tickets, both ways: opening a ticket for an alert, linking an alert to a ticket, and
 * following the alert's later life on the ticket's timeline.
 */
export class AlertTickets {
  constructor(private readonly deps: { database: DatabaseService; events: EventsService; alerts: AlertsService; store: TicketStore; logger: PluginLogger }) {}

  /** The workspace's core alert with this id, read through core's alerts service (row-level security holds). */
  async find(tx: Tx, id: string): Promise<Alert> {
    const alert = await this.deps.alerts.get(tx, id);
    if (!alert) throw new AppError('not_found', `Alert ${id} was not found`);
    return alert;
  }

  /**
   * Links the alert to a ticket; a fingerprint already gathered by another open ticket stays with it.
   * Takes the fingerprint's lock: a rule opening a ticket for the same trouble at this instant would
   * otherwise win the open-fingerprint index, and this link would be dropped by its conflict.
   */
  async link(tx: Tx, ticketId: string, alert: Alert, ruleId: string | null, author: string): Promise<void> {
    await this.lockFingerprint(tx, alert.fingerprint);
    const [held] = await tx.query<{ ticket_id: string }>('SELECT ticket_id FROM ticket_alert WHERE fingerprint = ? AND open', [alert.fingerprint]);
    const ticket = await this.deps.store.get(tx, ticketId, true);
    const open = !held && ticket.status !== 'resolved' && ticket.status !== 'closed';
    const inserted = await tx.query(
      'INSERT INTO ticket_alert (tenant_id, ticket_id, alert_id, fingerprint, rule_id, open) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1',
      [tx.tenantId, ticketId, alert.id, alert.fingerprint, ruleId, open],
    );
    if (inserted.length === 0) return;
    const links = ticket.links.some((l) => l.type === 'alert' && l.target === alert.id)
      ? ticket.links
      : [...ticket.links, { type: 'alert' as const, target: alert.id }];
    await this.deps.store.change(tx, ticketId, { links }, { author, quiet: true });
    await this.deps.store.addEntry(tx, ticketId, {
      kind: 'alert',
      author,
      body: `Linked alert: ${alert.title}`,
      data: { alertId: alert.id, fingerprint: alert.fingerprint, severity: alert.severity, source: alert.source },
    });
  }

  /**
   * The alert's open ticket, if it has one: linked to the alert itself, or holding its fingerprint
   * (the same trouble, fired again); the oldest if several. Takes the fingerprint's lock first (see
   * `lockFingerprint`), so a person asking for a ticket and a rule opening one take turns.
   */
  async openTicketOf(tx: Tx, alert: Alert): Promise<TicketRow | undefined> {
    await this.lockFingerprint(tx, alert.fingerprint);
    const [linked] = await tx.query<{ ticket_id: string }>(
      `SELECT ta.ticket_id FROM ticket_alert ta JOIN ticket t ON t.id = ta.ticket_id
       WHERE (ta.alert_id = ? OR (ta.fingerprint = ? AND ta.open)) AND t.status NOT IN ('resolved', 'closed')
       ORDER BY t.created_at, t.id LIMIT 1`,
      [alert.id, alert.fingerprint],
    );
    return linked ? this.deps.store.get(tx, linked.ticket_id) : undefined;
  }

  /**
   * Whoever decides whether an alert's trouble gets a new ticket holds this lock until its
   * transaction ends: otherwise two deciders (two people, or a person and a rule) each find no
   * ticket and each open one.
   */
  private async lockFingerprint(tx: Tx, fingerprint: string): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`ticketing.alert-ticket:${fingerprint}`]);
  }

  /** Opens a ticket for the alert, with its context, and links them. */
  async open(tx: Tx, alert: Alert, options: { priority?: string; assignee?: string | null; ruleId: string | null; author: string }): Promise<TicketRow> {
    const ticket = await this.deps.store.create(
      tx,
      {
        title: alert.title.slice(0, 300),
        description: describe(alert),
        type: 'incident',
        priority: (options.priority ?? (alert.severity === 'critical' ? 'urgent' : 'high')) as TicketRow['priority'],
        assignee: options.assignee ?? null,
        tags: ['alert', alert.source],
      },
      options.author,
      'alert',
    );
    await this.link(tx, ticket.id, alert, options.ruleId, options.author);
    return this.deps.store.get(tx, ticket.id);
  }

  /** Each workspace's events in order on this node: one alert's firing, refiring and recovery must not race each other's tickets. */
  private readonly queues = new Map<string, Promise<void>>();

  /** Subscribes this node to alert events; each event is applied once across nodes. */
  start(): () => void {
    return this.deps.events.subscribe(
      (event) => {
        const key = event.tenantId ?? '';
        const next = (this.queues.get(key) ?? Promise.resolve()).then(() => this.applyWithRetries(event));
        this.queues.set(key, next);
        void next.finally(() => {
          if (this.queues.get(key) === next) this.queues.delete(key);
        });
      },
      { topics: new Set(['alert.triggered', 'alert.resolved']) },
    );
  }

  /** A transient failure (a conflict with another node, a dropped connection) is tried again before the event is given up. */
  private async applyWithRetries(event: PlatformEvent, attempts = 4): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.apply(event);
      } catch (error) {
        if (attempt >= attempts) {
          this.deps.logger.error({ err: error, topic: event.topic, id: event.id }, 'ticketing: could not apply an alert event');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  }

  /**
   * Applies one alert event in the workspace's transaction. Every node hears every event: the
   * first to record the event's id applies it, the others find it recorded and do nothing.
   */
  async apply(event: PlatformEvent): Promise<void> {
    if (!event.tenantId) return;
    const payload = event.payload as { alertId: string; fingerprint: string };
    await this.deps.database.forTenant(event.tenantId).transaction(async (tx) => {
      const claimed = await tx.query('INSERT INTO ticket_alert_event (tenant_id, event_id) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING 1', [
        tx.tenantId,
        event.id,
      ]);
      if (claimed.length === 0) return;
      if (event.topic === 'alert.triggered') await this.fired(tx, payload.alertId);
      else await this.recovered(tx, payload.alertId);
    });
  }

  private async fired(tx: Tx, alertId: string): Promise<void> {
    const alert = await this.find(tx, alertId);
    await this.lockFingerprint(tx, alert.fingerprint);
    const [held] = await tx.query<{ ticket_id: string }>('SELECT ticket_id FROM ticket_alert WHERE fingerprint = ? AND open', [alert.fingerprint]);
    if (held) {
      // The same trouble again while its ticket is open: the timeline hears of it, no new ticket.
      await tx.query('INSERT INTO ticket_alert (tenant_id, ticket_id, alert_id, fingerprint, open) VALUES (?, ?, ?, ?, false) ON CONFLICT DO NOTHING', [
        tx.tenantId,
        held.ticket_id,
        alert.id,
        alert.fingerprint,
      ]);
      await this.deps.store.addEntry(tx, held.ticket_id, {
        kind: 'alert',
        author: 'system',
        body: `Alert fired again: ${alert.title}`,
        data: { alertId: alert.id, fingerprint: alert.fingerprint, severity: alert.severity, state: 'firing' },
      });
      return;
    }
    const rules = await tx.query<AlertRuleRow>('SELECT * FROM alert_ticket_rule WHERE enabled ORDER BY created_at, id');
    const rule = rules.find((r) => ruleMatches(r, alert));
    if (!rule) return;
    await this.open(tx, alert, { priority: rule.priority, assignee: rule.assignee, ruleId: rule.id, author: 'system' });
  }

  private async recovered(tx: Tx, alertId: string): Promise<void> {
    const links = await tx.query<{ ticket_id: string; resolve_on_recovery: boolean | null }>(
      `SELECT l.ticket_id, r.resolve_on_recovery FROM ticket_alert l
         LEFT JOIN alert_ticket_rule r ON r.id = l.rule_id
        WHERE l.alert_id = ?`,
      [alertId],
    );
    const alert = links.length > 0 ? await this.deps.alerts.get(tx, alertId) : null;
    if (!alert) return;
    for (const link of links) {
      await this.deps.store.addEntry(tx, link.ticket_id, {
        kind: 'alert',
        author: 'system',
        body: `Alert resolved: ${alert.title}`,
        data: { alertId, state: 'resolved' },
      });
      const ticket = await this.deps.store.get(tx, link.ticket_id, true);
      if (link.resolve_on_recovery && ticket.status !== 'resolved' && ticket.status !== 'closed') {
        await this.deps.store.change(tx, link.ticket_id, { status: 'resolved' }, { author: 'system', reason: 'the alert that opened it resolved' });
      }
    }
  }
}
