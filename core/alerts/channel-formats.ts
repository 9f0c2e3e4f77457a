/**
 * The bodies each channel type's incoming webhook expects. Pure functions of the notification, so
 * the formats are tested without a network and documented in alerts.openapi.yaml:
 * - slack: `{ text, blocks }` (Block Kit: header, section with fields, context); `text` is the fallback.
 * - discord: `{ content, embeds: [{ title, description, color, fields, timestamp, footer }] }`.
 * - teams: a legacy Office 365 connector MessageCard
 *   `{ "@type": "MessageCard", "@context": "https://schema.org/extensions", summary, themeColor, title, text, sections: [{ facts }] }`.
 * - webhook: plain JSON `{ type, alert }` (or `{ type: "alert.test", message }`, or for a channel
 *   message `{ type: "notification", channel, source, severity, title, message }`).
 */
export type Severity = 'critical' | 'warning' | 'info';
/** `message`: a message sent to one channel by name, with no alert behind it (a workflow's NOTIFY). */
export type NotificationKind = 'firing' | 'resolved' | 'test' | 'message';

export interface AlertSummary {
  id: string;
  fingerprint: string;
  source: string;
  entityType: string;
  entityId: string;
  severity: Severity;
  status: 'firing' | 'resolved';
  title: string;
  message: string | null;
  labels: Record<string, string>;
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
  resolvedAt: string | null;
}

export interface NotificationContent {
  kind: NotificationKind;
  /** Absent for test messages. */
  alert?: AlertSummary;
  /** The text of a test message or a channel message. */
  message?: string;
  channelName: string;
  /** A channel message's title, severity and sender. */
  title?: string;
  severity?: Severity;
  source?: string;
  /** A channel message's own id: where a service de-duplicates (PagerDuty, Opsgenie), each message is one of its own. */
  reference?: string;
}

/** The severity a notification is sent with: its alert's, or a channel message's own. */
export const severityOf = (c: NotificationContent): Severity | undefined => c.alert?.severity ?? c.severity;

/** The severity a firing alert or a channel message asks attention with (resolved and test ones ask none). */
export const urgencyOf = (c: NotificationContent): Severity | undefined => (c.kind === 'firing' || c.kind === 'message' ? severityOf(c) : undefined);

/** A channel message's title, or the alert's. */
const titleOf = (c: NotificationContent) => (c.kind === 'message' ? (c.title ?? 'itops notification') : c.alert?.title);

export const severityColor: Record<Severity | 'resolved' | 'test', string> = {
  critical: 'D32F2F',
  warning: 'F9A825',
  info: '1976D2',
  resolved: '2E7D32',
  test: '607D8B',
};

export const colorKey = (c: NotificationContent) =>
  c.kind === 'test' ? 'test' : c.kind === 'resolved' ? 'resolved' : c.kind === 'message' ? (c.severity ?? 'info') : (c.alert as AlertSummary).severity;

/** One-line headline, e.g. `[FIRING:critical] Disk almost full`, or `[WARNING] Restarted db` for a channel message. */
export function headline(c: NotificationContent): string {
  if (c.kind === 'message') return `[${(c.severity ?? 'info').toUpperCase()}] ${titleOf(c)}`;
  if (c.kind === 'test' || !c.alert) return `[TEST] itops notification test for ${c.channelName}`;
  return c.kind === 'resolved' ? `[RESOLVED] ${c.alert.title}` : `[FIRING:${c.alert.severity}] ${c.alert.title}`;
}

export function facts(c: NotificationContent): { name: string; value: string }[] {
  if (c.kind === 'message') return c.source ? [{ name: 'Source', value: c.source }] : [];
  if (!c.alert) return [];
  const a = c.alert;
  const rows = [
    { name: 'Severity', value: a.severity },
    { name: 'Source', value: a.source },
    { name: 'Entity', value: `${a.entityType}/${a.entityId}` },
    { name: 'First seen', value: a.firstSeenAt },
    { name: 'Occurrences', value: String(a.count) },
  ];
  if (a.resolvedAt) rows.push({ name: 'Resolved', value: a.resolvedAt });
  for (const [k, v] of Object.entries(a.labels)) rows.push({ name: k, value: v });
  return rows;
}

export const bodyText = (c: NotificationContent) =>
  c.kind === 'message'
    ? (c.message ?? '')
    : c.kind === 'test' || !c.alert
      ? (c.message ?? 'This is a test notification from itops.')
      : (c.alert.message ?? c.alert.title);

export function slackBody(c: NotificationContent): Record<string, unknown> {
  const fields = facts(c).slice(0, 10);
  return {
    text: `${headline(c)}: ${bodyText(c)}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: headline(c).slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: bodyText(c).slice(0, 3000) } },
      ...(fields.length > 0 ? [{ type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: `*${f.name}*\n${f.value}` })) }] : []),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: c.alert ? `itops alert ${c.alert.id}` : c.kind === 'message' ? `itops ${c.source ?? 'notification'}` : 'itops notification test',
          },
        ],
      },
    ],
  };
}

export function discordBody(c: NotificationContent): Record<string, unknown> {
  return {
    content: headline(c).slice(0, 2000),
    embeds: [
      {
        title: (titleOf(c) ?? 'itops notification test').slice(0, 256),
        description: bodyText(c).slice(0, 4096),
        color: Number.parseInt(severityColor[colorKey(c)], 16),
        fields: facts(c)
          .slice(0, 25)
          .map((f) => ({ name: f.name.slice(0, 256), value: f.value.slice(0, 1024), inline: true })),
        timestamp: c.alert?.lastSeenAt ?? new Date().toISOString(),
        footer: { text: 'itops' },
      },
    ],
  };
}

export function teamsBody(c: NotificationContent): Record<string, unknown> {
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: headline(c),
    themeColor: severityColor[colorKey(c)],
    title: headline(c),
    text: bodyText(c),
    sections: [{ activityTitle: c.alert ? `${c.alert.source}: ${c.alert.entityType}/${c.alert.entityId}` : c.channelName, facts: facts(c) }],
  };
}

export function webhookBody(c: NotificationContent): Record<string, unknown> {
  if (c.kind === 'message')
    return { type: 'notification', channel: c.channelName, source: c.source ?? null, severity: c.severity ?? 'info', title: titleOf(c), message: bodyText(c) };
  if (c.kind === 'test' || !c.alert) return { type: 'alert.test', channel: c.channelName, message: bodyText(c) };
  return { type: c.kind === 'resolved' ? 'alert.resolved' : 'alert.triggered', alert: c.alert };
}

/** The body of one of the four original URL-only types (kept for the format tests). */
export function channelBody(type: 'slack' | 'discord' | 'teams' | 'webhook', c: NotificationContent): Record<string, unknown> {
  return { slack: slackBody, discord: discordBody, teams: teamsBody, webhook: webhookBody }[type](c);
}

/** The notification as plain text lines: headline, body, then one `name: value` line per fact. */
export function plainText(c: NotificationContent): string {
  return [headline(c), '', bodyText(c), '', ...facts(c).map((f) => `${f.name}: ${f.value}`)].join('\n').trim();
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A small self-contained HTML page for e-mail: headline, body, facts table; every value escaped. */
export function htmlBody(c: NotificationContent): string {
  const rows = facts(c)
    .map((f) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(f.name)}</th><td>${escapeHtml(f.value)}</td></tr>`)
    .join('');
  return `<!doctype html><html><body style="font-family:sans-serif;color:#1a1a1a"><h2 style="border-left:6px solid #${severityColor[colorKey(c)]};padding-left:8px">${escapeHtml(headline(c))}</h2><p>${escapeHtml(bodyText(c))}</p>${rows ? `<table>${rows}</table>` : ''}<p style="color:#555">itops</p></body></html>`;
}

/** Slack's legacy attachments, which Mattermost and Rocket.Chat incoming webhooks both accept. */
export function slackCompatibleBody(c: NotificationContent, username?: string): Record<string, unknown> {
  return {
    ...(username ? { username } : {}),
    text: headline(c),
    attachments: [
      {
        fallback: `${headline(c)}: ${bodyText(c)}`,
        color: `#${severityColor[colorKey(c)]}`,
        title: (titleOf(c) ?? 'itops notification test').slice(0, 256),
        text: bodyText(c).slice(0, 3000),
        fields: facts(c)
          .slice(0, 20)
          .map((f) => ({ title: f.name, value: f.value, short: true })),
      },
    ],
  };
}

/** A Teams workflow ("Post to a channel when a webhook request is received") message carrying an Adaptive Card 1.4. */
export function adaptiveCardBody(c: NotificationContent): Record<string, unknown> {
  const style =
    c.kind === 'resolved'
      ? 'good'
      : c.kind === 'test'
        ? 'accent'
        : severityOf(c) === 'critical'
          ? 'attention'
          : severityOf(c) === 'warning'
            ? 'warning'
            : 'accent';
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            { type: 'TextBlock', text: headline(c), weight: 'Bolder', size: 'Medium', color: style, wrap: true },
            { type: 'TextBlock', text: bodyText(c), wrap: true },
            ...(facts(c).length > 0 ? [{ type: 'FactSet', facts: facts(c).map((f) => ({ title: f.name, value: f.value })) }] : []),
          ],
        },
      },
    ],
  };
}

/** `https://hooks.slack.com/…/abcd`: enough to recognise a channel's URL, never enough to use it. */
export function maskUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const rest = `${url.pathname}${url.search}`;
    const tail = rest.length > 8 ? rest.slice(-4) : '';
    return `${url.protocol}//${url.host}/…${tail}`;
  } catch {
    return '…';
  }
}
