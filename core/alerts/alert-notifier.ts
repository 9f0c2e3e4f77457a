import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger.ts';
import { DeliveryLedger, type QueueDelivery, queueEach, retryAfterSeconds } from '../outbound/delivery-ledger.ts';
import { OutboundBlockedError, type OutboundHttp } from '../outbound/outbound-http.ts';
import { type AlertRow, alertView, type Query } from './alert-service.ts';
import type { NotificationContent, NotificationKind, Severity } from './channel-formats.ts';
import { withDefaults } from './channels/channel-config.ts';
import { type ChannelSecrets, channelSecretPrefix } from './channels/channel-secrets.ts';
import type { ChannelConfig, ChannelMessage } from './channels/channel-type.ts';
import { channelType } from './channels/index.ts';
import { type MailSettings, SmtpSender } from './channels/smtp-sender.ts';

export const maxNotifyAttempts = 5;

export type NotificationRow = {
  id: string;
  alert_id: string | null;
  channel_id: string | null;
  channel_name: string;
  kind: NotificationKind;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
};

export const notificationView = (r: NotificationRow) => ({
  id: r.id,
  alertId: r.alert_id,
  channelId: r.channel_id,
  channelName: r.channel_name,
  kind: r.kind,
  status: r.status,
  attempts: r.attempts,
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  createdAt: new Date(r.created_at).toISOString(),
  sentAt: r.sent_at ? new Date(r.sent_at).toISOString() : null,
});

/**
 * Sends alert notifications to channels, one pg-boss job per notification row. A row is claimed
 * for a minute (duplicate jobs are harmless), formatted for its channel type and posted through the
 * outbound guard: 2xx is sent; a blocked URL or a 4xx (other than 408/429) fails at once; anything
 * else is retried with exponential backoff (or the receiver's Retry-After), up to five attempts.
 */
export class AlertNotifier {
  private readonly ledger: DeliveryLedger;
  private readonly smtp: SmtpSender;

  constructor(
    private readonly query: Query,
    private readonly outbound: OutboundHttp,
    private readonly send: QueueDelivery,
    logger: Logger,
    retryBaseSeconds: number,
    private readonly secrets: Pick<ChannelSecrets, 'open'>,
    mail: MailSettings = { hostAllowlist: [], allowPrivate: false },
  ) {
    this.smtp = new SmtpSender(mail);
    this.ledger = new DeliveryLedger({
      query,
      table: 'alert_notification',
      succeededStatus: 'sent',
      succeededAtColumn: 'sent_at',
      maxAttempts: maxNotifyAttempts,
      retryBaseSeconds,
      send,
      logger,
    });
  }

  /** Records a test notification for a channel and sends it once, now; returns the settled row. */
  async test(channel: { id: string; name: string; tenant_id: string }, message?: string): Promise<NotificationRow> {
    const id = randomUUID();
    await this.query(
      `INSERT INTO alert_notification (id, tenant_id, channel_id, channel_name, kind, message, status) VALUES (?, ?, ?, ?, 'test', ?, 'pending')`,
      [id, channel.tenant_id, channel.id, channel.name, message ?? null],
    );
    await this.deliver(id, { retry: false });
    const [row] = await this.query<NotificationRow>('SELECT * FROM alert_notification WHERE id = ?', [id]);
    return row;
  }

  /** Safety net: overdue pending rows get a job again; rows whose channel was deleted fail. */
  async sweep(signal?: AbortSignal): Promise<void> {
    await this.query(
      `UPDATE alert_notification SET status = 'failed', last_error = 'the channel was deleted', updated_at = now()
       WHERE status = 'pending' AND channel_id IS NULL`,
    );
    const rows = await this.query<{ id: string; tenant_id: string }>(
      `SELECT id, tenant_id FROM alert_notification WHERE status = 'pending' AND next_attempt_at < now() - interval '30 seconds'
       AND (claimed_until IS NULL OR claimed_until < now()) LIMIT 1000`,
    );
    await queueEach(this.send, rows, signal);
  }

  /**
   * One attempt. `retry: false` settles it whatever the answer (a test notification); `signal` (the
   * job's) abandons it when the node stops, giving the row back.
   */
  async deliver(notificationId: string, options: { retry?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const [job] = await this.query<{
      attempts: number;
      kind: NotificationKind;
      alert_id: string | null;
      message: string | null;
      title: string | null;
      severity: Severity | null;
      source: string | null;
      type: string;
      config: ChannelConfig;
      name: string;
      tenant_id: string;
      channel_id: string;
      version: number | null;
      ciphertext: Buffer | null;
      wrapped_key: Buffer | null;
      master_key_id: string | null;
    }>(
      // The channel's sealed secret settings come with the claim, in the same statement.
      `UPDATE alert_notification n SET attempts = n.attempts + 1, claimed_until = now() + interval '1 minute', updated_at = now()
       FROM notification_channel c
         LEFT JOIN workspace_secret sec ON sec.tenant_id = c.tenant_id AND sec.key = ?::text || c.id
       WHERE n.id = ? AND n.status = 'pending' AND n.next_attempt_at <= now() + interval '1 second'
         AND (n.claimed_until IS NULL OR n.claimed_until < now()) AND c.id = n.channel_id
       RETURNING n.attempts, n.kind, n.alert_id, n.message, n.title, n.severity, n.source, c.type, c.config, c.name,
         c.tenant_id, c.id AS channel_id, sec.version, sec.ciphertext, sec.wrapped_key, sec.master_key_id`,
      [channelSecretPrefix, notificationId],
    );
    if (!job) return;
    if (job.version !== null && job.ciphertext && job.wrapped_key && job.master_key_id) {
      const sealed = { version: job.version, ciphertext: job.ciphertext, wrapped_key: job.wrapped_key, master_key_id: job.master_key_id };
      try {
        job.config = { ...job.config, ...(await this.secrets.open(job.tenant_id, job.channel_id, sealed)) };
      } catch (error) {
        // A node without the master key that sealed them (nodes must share ITOPS_MASTER_KEY): another node may send it.
        return this.ledger.retryOrFail(
          notificationId,
          job.attempts,
          null,
          `the channel's secret settings could not be opened here: ${(error as Error).message}`,
        );
      }
    }
    let alert: ReturnType<typeof alertView> | undefined;
    if (job.alert_id) {
      const [row] = await this.query<AlertRow>('SELECT * FROM alert WHERE id = ?', [job.alert_id]);
      if (!row) return this.ledger.fail(notificationId, null, 'the alert was deleted');
      alert = alertView(row);
    }
    const summary = alert ? { ...alert, silencedBy: undefined, notifiedAt: undefined, acknowledgedAt: undefined, acknowledgedBy: undefined } : undefined;
    const type = channelType(job.type);
    if (!type) return this.ledger.fail(notificationId, null, `the channel type ${job.type} is no longer supported`);
    const content: NotificationContent = {
      kind: job.kind,
      alert: summary,
      message: job.message ?? undefined,
      channelName: job.name,
      // A channel message (kind `message`) has no alert: what it is about travels with it.
      ...(job.kind === 'message'
        ? { title: job.title ?? undefined, severity: job.severity ?? 'info', source: job.source ?? undefined, reference: notificationId }
        : {}),
    };
    let message: ChannelMessage;
    try {
      message = type.build(withDefaults(type, job.config ?? {}), content);
    } catch (error) {
      return this.ledger.fail(notificationId, null, `the channel settings are unusable: ${(error as Error).message}`);
    }
    const retry = options.retry ?? true;
    try {
      if (message.transport === 'email') {
        await this.smtp.send(message);
        // 250: the relay accepted the message (SMTP's own status code, stored like an HTTP one).
        return this.ledger.succeed(notificationId, 250);
      }
      const response = await this.outbound.request(message.url, {
        method: message.method ?? 'POST',
        body: message.body,
        timeoutMs: 10_000,
        maxResponseBytes: 64 * 1024,
        signal: options.signal,
        headers: message.headers ?? {},
      });
      if (response.status >= 200 && response.status < 300) return this.ledger.succeed(notificationId, response.status);
      const reason = `the channel answered ${response.status}${snippet(response.body)}`;
      if (!retry || (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429)) {
        return this.ledger.fail(notificationId, response.status, reason);
      }
      return this.ledger.retryOrFail(notificationId, job.attempts, response.status, reason, retryAfterSeconds(response.headers));
    } catch (error) {
      if (error instanceof OutboundBlockedError) return this.ledger.fail(notificationId, null, `blocked: ${error.message}`);
      if (options.signal?.aborted) return this.ledger.release(notificationId);
      // A 5xx SMTP reply (unknown recipient, refused sender, failed AUTH) will not change on retry.
      const smtpCode = (error as { responseCode?: number }).responseCode;
      if (smtpCode !== undefined && smtpCode >= 500) return this.ledger.fail(notificationId, smtpCode, `the SMTP relay answered ${(error as Error).message}`);
      if (!retry) return this.ledger.fail(notificationId, null, (error as Error).message);
      return this.ledger.retryOrFail(notificationId, job.attempts, null, (error as Error).message);
    }
  }
}

const snippet = (body: Buffer) => {
  const text = body.toString('utf8', 0, 200).trim();
  return text ? `: ${text}` : '';
};
