import t from 'tap';
import { channelSelected, silenceMatches } from './alert-matching.ts';
import { type AlertSummary, channelBody, maskUrl } from './channel-formats.ts';

const alert: AlertSummary = {
  id: '00000000-0000-4000-8000-000000000001',
  fingerprint: 'f',
  source: 'sla',
  entityType: 'endpoint',
  entityId: 'api',
  severity: 'critical',
  status: 'firing',
  title: 'API down',
  message: 'No answer for 5 minutes',
  labels: { team: 'web' },
  count: 1,
  firstSeenAt: '2025-01-01T00:00:00.000Z',
  lastSeenAt: '2025-01-01T00:05:00.000Z',
  resolvedAt: null,
};
const matchable = { source: 'sla', entityType: 'endpoint', entityId: 'api', severity: 'warning' as const, labels: { team: 'web', env: 'prod' } };

t.test('each channel type gets its own documented shape', async (t) => {
  const c = { kind: 'firing' as const, alert, channelName: 'ops' };
  t.match(channelBody('slack', c), {
    text: /\[FIRING:critical\] API down/,
    blocks: [{ type: 'header' }, { type: 'section' }, { type: 'section', fields: Array }, { type: 'context' }],
  });
  t.match(channelBody('discord', c), {
    content: '[FIRING:critical] API down',
    embeds: [{ title: 'API down', description: 'No answer for 5 minutes', color: 0xd32f2f, fields: Array }],
  });
  t.match(channelBody('teams', c), {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: String,
    themeColor: 'D32F2F',
    title: '[FIRING:critical] API down',
    text: 'No answer for 5 minutes',
    sections: [{ facts: [{ name: 'Severity', value: 'critical' }] }],
  });
  t.same(channelBody('webhook', c), { type: 'alert.triggered', alert });
  t.match(channelBody('teams', { ...c, kind: 'resolved' }), { themeColor: '2E7D32', title: '[RESOLVED] API down' });
  t.match(channelBody('webhook', { kind: 'test', channelName: 'ops', message: 'hi' }), { type: 'alert.test', message: 'hi' });
});

t.test('routing rules and silences match on every condition they set', async (t) => {
  t.ok(channelSelected([], matchable), 'no rules: every alert');
  t.ok(channelSelected([{ source: 'sla', minSeverity: null, labels: {} }], matchable));
  t.notOk(channelSelected([{ source: 'sla', minSeverity: 'critical', labels: {} }], matchable), 'below the minimum severity');
  t.ok(channelSelected([{ source: null, minSeverity: 'info', labels: { env: 'prod' } }], matchable));
  t.notOk(channelSelected([{ source: null, minSeverity: null, labels: { env: 'dev' } }], matchable));
  t.ok(
    channelSelected(
      [
        { source: 'x', minSeverity: null, labels: {} },
        { source: null, minSeverity: 'warning', labels: {} },
      ],
      matchable,
    ),
    'any rule',
  );
  t.ok(silenceMatches({}, matchable));
  t.ok(silenceMatches({ source: 'sla', entityId: 'api', labels: { team: 'web' } }, matchable));
  t.notOk(silenceMatches({ severity: 'critical' }, matchable));
  t.notOk(silenceMatches({ entityType: 'host' }, matchable));
});

t.test('channel URLs are masked', async (t) => {
  t.equal(maskUrl('https://hooks.slack.com/services/T000/B000/XXXXSECRET'), 'https://hooks.slack.com/…CRET');
  t.notMatch(maskUrl('https://discord.com/api/webhooks/1/token-abc'), /token/);
});

t.test('a channel message (no alert behind it) carries its own title, severity and sender', async (t) => {
  const c = {
    kind: 'message' as const,
    channelName: 'ops',
    title: 'Restart: tell',
    severity: 'warning' as const,
    source: 'automation',
    message: 'Restarted db',
    reference: 'n1',
  };
  t.same(channelBody('webhook', c), {
    type: 'notification',
    channel: 'ops',
    source: 'automation',
    severity: 'warning',
    title: 'Restart: tell',
    message: 'Restarted db',
  });
  t.match(channelBody('slack', c), { text: '[WARNING] Restart: tell: Restarted db' });
  t.match(channelBody('discord', c), {
    embeds: [{ title: 'Restart: tell', description: 'Restarted db', color: 0xf9a825, fields: [{ name: 'Source', value: 'automation' }] }],
  });
  t.match(channelBody('teams', c), { title: '[WARNING] Restart: tell', text: 'Restarted db', themeColor: 'F9A825' });
});
