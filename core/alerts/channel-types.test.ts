import net from 'node:net';
import t from 'tap';
import type { AlertSummary } from './channel-formats.ts';
import { settleConfig, withDefaults } from './channels/channel-config.ts';
import { channelTypes } from './channels/index.ts';
import { SmtpSender } from './channels/smtp-sender.ts';

const alert: AlertSummary = {
  id: '00000000-0000-4000-8000-000000000001',
  fingerprint: 'f00d',
  source: 'sla',
  entityType: 'endpoint',
  entityId: 'api',
  severity: 'warning',
  status: 'firing',
  title: 'API slow',
  message: null,
  labels: {},
  count: 1,
  firstSeenAt: '2025-01-01T00:00:00.000Z',
  lastSeenAt: '2025-01-01T00:05:00.000Z',
  resolvedAt: null,
};

const sample = (kind: string) => (kind === 'url' ? 'https://example.org/x' : kind === 'emails' ? 'a@example.org' : kind === 'integer' ? 1 : 'value');

t.test('every declared type accepts its required fields and builds a firing, a resolved and a test message', async (t) => {
  t.equal(new Set(channelTypes.map((c) => c.type)).size, channelTypes.length, 'type names are unique');
  for (const type of channelTypes) {
    const config = settleConfig(type, {}, Object.fromEntries(type.fields.filter((f) => f.required).map((f) => [f.name, sample(f.kind)])));
    for (const kind of ['firing', 'resolved', 'test'] as const) {
      const message = type.build(withDefaults(type, config), {
        kind,
        alert: kind === 'test' ? undefined : { ...alert, status: kind === 'resolved' ? 'resolved' : 'firing' },
        channelName: 'c',
      });
      if (message.transport === 'http') t.doesNotThrow(() => JSON.parse(message.body), `${type.type} ${kind} is JSON`);
      else t.match(message, { to: ['a@example.org'], subject: String, text: String, html: /<html>/ });
    }
  }
});

t.test('the SMTP sender gives up at its deadline when the relay never answers', async (t) => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const port = (silent.address() as net.AddressInfo).port;
  const sender = new SmtpSender({
    smtp: { host: '127.0.0.1', port, secure: false, user: '', password: '', from: 'a@example.org' },
    hostAllowlist: ['127.0.0.1'],
    allowPrivate: false,
  });
  await t.rejects(sender.send({ to: ['b@example.org'], subject: 's', text: 't', html: '<p>t</p>' }, 300), /did not take the message within 300 ms/);
  t.equal(sockets.length, 1, 'it did connect, to the checked address');
});

t.test('the SMTP sender refuses a relay name that resolves to a private address', async (t) => {
  const sender = new SmtpSender({
    smtp: { host: 'relay.example.org', port: 25, secure: false, user: '', password: '', from: 'a@example.org' },
    hostAllowlist: [],
    allowPrivate: false,
    resolve: async () => ['10.0.0.5'],
  });
  await t.rejects(
    sender.send({ to: ['b@example.org'], subject: 's', text: 't', html: 'h' }),
    /relay\.example\.org is not allowed: 10\.0\.0\.5 is in a blocked range \(private\)/,
  );
});
