import type { Tx } from '../db/sql-handles.ts';
import type { AlertSummary, Severity } from './channel-formats.ts';

/*
 * The alerts service as plugins see it. Kept apart from the service itself so that the plugin API
 * can re-export these types without importing the service, which needs plugin-api declarations.
 */

export interface RaiseAlert {
  tenantId: string;
  /** Who raises it: a plugin or core feature id, e.g. `sla`, `containers`. */
  source: string;
  entityType: string;
  entityId: string;
  severity: Severity;
  title: string;
  message?: string;
  labels?: Record<string, string>;
  /** De-duplication key; default: a hash of source, entityType, entityId and title. */
  fingerprint?: string;
}

export type ResolveAlert =
  | { tenantId: string; fingerprint: string }
  | { tenantId: string; source: string; entityType: string; entityId: string; title: string; fingerprint?: undefined };

/** A message for one channel of a workspace, with no alert behind it (a workflow's NOTIFY step). */
export interface ChannelMessageInput {
  tenantId: string;
  /** The channel's id (`/api/v1/channels/{id}`). */
  channelId: string;
  /** Who sends it: a plugin or core feature id, e.g. `automation`. */
  source: string;
  severity: Severity;
  title: string;
  message: string;
}

/** A notification channel of a workspace, as a plugin may name one. */
export interface NotificationChannelSummary {
  id: string;
  name: string;
  type: string;
  enabled: boolean;
}

export type Alert = AlertSummary & { silencedBy: string | null; notifiedAt: string | null; acknowledgedAt: string | null; acknowledgedBy: string | null };

/**
 * Alerts as core and plugins raise them, inside the caller's transaction: the alert changes exactly
 * when the change that caused it commits. Raising is idempotent per fingerprint while the alert
 * fires (the firing alert's lastSeenAt and count move on); resolving closes it, and raising it again
 * afterwards opens a new alert. Opening and closing publish alert.triggered and alert.resolved through
 * the outbox, and the channel notifications that routing and silences allow are sent after commit.
 */
export interface AlertsService {
  /**
   * The alert with this id as the transaction sees it (a workspace's transaction: that workspace's
   * alerts only, by row-level security), or null: how a plugin reads an alert it was told about.
   */
  get(tx: Tx, id: string): Promise<Alert | null>;
  /** How many alerts fire now, as the transaction sees them (a workspace's: its own). */
  countFiring(tx: Tx): Promise<number>;
  raise(tx: Tx, alert: RaiseAlert): Promise<Alert>;
  /** Resolves the firing alert with this fingerprint; null when none fires. */
  resolve(tx: Tx, alert: ResolveAlert): Promise<Alert | null>;
  /**
   * Raises many alerts, of any tenants the transaction may raise, in a fixed number of statements
   * whatever their number (a mass outage raising thousands in one transaction holds its rows for
   * milliseconds, not seconds). The same as raising them one by one in order: the results are in
   * input order, and a fingerprint given twice counts twice (count + 2), takes the last raise's
   * severity, title, message and labels, and is the same alert in both result entries (as the batch
   * leaves it). Invalid input or another tenant's alert fails the whole batch before any statement.
   */
  raiseMany(tx: Tx, alerts: RaiseAlert[]): Promise<Alert[]>;
  /**
   * Resolves many alerts in a fixed number of statements; one entry per input, in input order: the
   * resolved alert, or null when none with that fingerprint fired (as `resolve` would return, so a
   * fingerprint given twice is resolved by its first entry and null in the second).
   */
  resolveMany(tx: Tx, alerts: ResolveAlert[]): Promise<(Alert | null)[]>;
}

/**
 * The workspace's notification channels as plugins use them by name: a message to one channel,
 * with no alert behind it (a workflow's NOTIFY step). Alerts reach channels by routing instead.
 */
export interface NotificationChannelsService {
  /**
   * The workspace's channel with this id as the transaction sees it (a workspace's transaction:
   * that workspace's channels only), or null: how a plugin checks a channel it is told to use.
   */
  find(tx: Tx, id: string): Promise<NotificationChannelSummary | null>;
  /**
   * Sends a message to one channel, in the channel's format, once the transaction commits (the
   * same delivery, retries and notification record as alert notifications: kind `message`).
   * Routing rules and silences are for alerts and do not apply: the caller named the channel.
   * AppError('not_found') for a channel the workspace does not have; a disabled channel records
   * the message as failed rather than sending it.
   */
  send(tx: Tx, message: ChannelMessageInput): Promise<{ notificationId: string }>;
}
