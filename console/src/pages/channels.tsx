import { ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { CopyField, ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { can, useSession } from '../session.ts';

export function ChannelsPage() {
  const { session } = useSession();
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const [open, setOpen] = useState<string>();
  const [secret, setSecret] = useState<string>();
  // Any event may be delivered to a subscription: the open history reloads when one arrives. Channels
  // and subscriptions themselves change only by hand, and no event says so.
  const tick = useLiveTick(['']);
  const channels = useLoad(() => ok(api.GET('/api/v1/channels', {})), [session.workspace]);
  const webhooks = useLoad(
    () => (can(session, 'webhooks:read') ? ok(api.GET('/api/v1/webhooks', {})).then((l) => l.data) : Promise.resolve([])),
    [session.workspace],
  );
  const deliveries = useLoad(
    () => (open ? ok(api.GET('/api/v1/webhooks/{id}/deliveries', { params: { path: { id: open } } })).then((l) => l.data) : Promise.resolve([])),
    [open, tick],
  );
  const act = async (what: string, call: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await call();
      setNotice(what);
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <>
      <PageHeader title="Channels & webhooks" />
      <p role="status" class="notice">
        {notice ?? ''}
      </p>
      <ErrorNote error={error ?? channels.error} />
      <Section title="Notification channels">
        <Table
          caption="Notification channels"
          rows={channels.data?.data}
          empty="No channel yet: alerts are only shown here."
          columns={[
            { title: 'Name', cell: (c) => c.name },
            { title: 'Type', cell: (c) => c.type },
            { title: 'Enabled', cell: (c) => (c.enabled ? 'yes' : 'no') },
            { title: 'Rules', cell: (c) => c.rules.length },
            {
              title: 'Actions',
              cell: (c) =>
                can(session, 'channels:write') ? (
                  <button
                    type="button"
                    onClick={() => act(`Sent a test to ${c.name}.`, () => ok(api.POST('/api/v1/channels/{id}/test', { params: { path: { id: c.id } } })))}
                  >
                    Send test
                  </button>
                ) : null,
            },
          ]}
        />
        {can(session, 'channels:write') ? (
          <form
            class="form-grid"
            onSubmit={(event) => {
              event.preventDefault();
              const formElement = event.currentTarget as HTMLFormElement;
              const form = new FormData(formElement);
              void act('Channel added.', async () => {
                // The SDK types `type` as the discriminator mapping's schema names (an openapi-typescript quirk); the wire value is `webhook`.
                const body = { name: String(form.get('name')), type: 'webhook', url: String(form.get('url')) } as never;
                await ok(api.POST('/api/v1/channels', { body }));
                formElement.reset();
              }).then(channels.reload);
            }}
          >
            <h3 class="form-title">New webhook channel</h3>
            <label for="channel-name">Channel name</label>
            <input id="channel-name" name="name" required maxLength={100} />
            <label for="channel-url">Channel URL</label>
            <input id="channel-url" name="url" type="url" required maxLength={2048} placeholder="https://hooks.example.com/itops" />
            <button type="submit">Add channel</button>
          </form>
        ) : null}
      </Section>
      {can(session, 'webhooks:read') ? (
        <Section title="Webhook subscriptions">
          <Table
            caption="Webhook subscriptions"
            rows={webhooks.data}
            empty="No webhook subscription yet."
            columns={[
              { title: 'URL', cell: (w) => <code>{w.url}</code> },
              { title: 'Topics', cell: (w) => (w.topics ?? []).join(', ') || 'all' },
              { title: 'Enabled', cell: (w) => (w.enabled ? 'yes' : 'no') },
              {
                title: 'Deliveries',
                cell: (w) => (
                  <button type="button" aria-expanded={open === w.id} onClick={() => setOpen(open === w.id ? undefined : w.id)}>
                    {open === w.id ? 'Hide history' : 'Show history'}
                  </button>
                ),
              },
            ]}
          />
          {secret ? (
            <div class="shown-once" role="status">
              <p>
                <strong>Copy the signing secret now:</strong> it is shown only this once. Verify each delivery's <code>webhook-signature</code> with it.
              </p>
              <CopyField label="Signing secret" value={secret} />
            </div>
          ) : null}
          {can(session, 'webhooks:write') ? (
            <form
              class="form-grid"
              onSubmit={(event) => {
                event.preventDefault();
                const formElement = event.currentTarget as HTMLFormElement;
                const form = new FormData(formElement);
                const topics = String(form.get('topics'))
                  .split(/[\s,]+/)
                  .filter(Boolean);
                void act('Webhook subscription added.', async () => {
                  const created = await ok(api.POST('/api/v1/webhooks', { body: { url: String(form.get('url')), ...(topics.length ? { topics } : {}) } }));
                  setSecret(created.secret);
                  formElement.reset();
                }).then(webhooks.reload);
              }}
            >
              <h3 class="form-title">New webhook subscription</h3>
              <label for="webhook-url">Subscriber URL</label>
              <input id="webhook-url" name="url" type="url" required maxLength={2000} placeholder="https://example.com/hooks/itops" />
              <label for="webhook-topics">Topics (blank: all)</label>
              <input id="webhook-topics" name="topics" maxLength={2000} placeholder="heartbeat.deadline_missed, alert.raised" />
              <button type="submit">Add subscription</button>
            </form>
          ) : null}
          {open ? (
            <>
              <h3>Delivery history</h3>
              <Table
                caption="Deliveries"
                rows={deliveries.data}
                empty="Nothing delivered yet."
                columns={[
                  { title: 'Topic', cell: (d) => <code>{d.topic}</code> },
                  { title: 'Status', cell: (d) => <StatusBadge status={d.status} /> },
                  { title: 'Attempts', cell: (d) => d.attempts },
                  { title: 'Last answer', cell: (d) => d.lastStatusCode ?? d.lastError ?? '' },
                  { title: 'Created', cell: (d) => <Time at={d.createdAt} /> },
                  {
                    title: 'Replay',
                    cell: (d) =>
                      can(session, 'webhooks:write') ? (
                        <button
                          type="button"
                          onClick={() =>
                            act('Delivery queued again.', () =>
                              ok(api.POST('/api/v1/webhooks/{id}/deliveries/{deliveryId}/replay', { params: { path: { id: open, deliveryId: d.id } } })),
                            ).then(deliveries.reload)
                          }
                        >
                          Replay
                        </button>
                      ) : null,
                  },
                ]}
              />
            </>
          ) : null}
        </Section>
      ) : null}
    </>
  );
}
