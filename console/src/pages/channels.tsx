import { ok } from '@itops/sdk';
import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { ConfirmButton } from '../components/confirm-button.tsx';
import { CopyField, ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { can, useSession } from '../session.ts';

export function ChannelsPage() {
  const { session } = useSession();
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const [open, setOpen] = useState<string>();
  // The secret just created or rotated, with its subscription's URL: shown once, never listed again.
  const [secret, setSecret] = useState<{ url: string; value: string; rotated: boolean }>();
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
  // A queued or retried delivery settles without an event of its own: the history is read again
  // every few seconds while one is pending, so a replay is seen delivered (or failed) without a reload.
  const pending = deliveries.data?.some((d) => d.status === 'pending');
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(deliveries.reload, 2000);
    return () => clearTimeout(timer);
  }, [pending, deliveries.data]);
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
                  <span class="confirm">
                    <button
                      type="button"
                      onClick={() => act(`Sent a test to ${c.name}.`, () => ok(api.POST('/api/v1/channels/{id}/test', { params: { path: { id: c.id } } })))}
                    >
                      Send test
                    </button>
                    <ConfirmButton
                      label={`Delete ${c.name}`}
                      question={`Delete ${c.name} and its rules? Its past notifications stay.`}
                      confirm="Yes, delete"
                      onConfirm={() =>
                        act(`Deleted ${c.name}.`, () => ok(api.DELETE('/api/v1/channels/{id}', { params: { path: { id: c.id } } }))).then(channels.reload)
                      }
                    />
                  </span>
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
              {
                title: 'Actions',
                cell: (w) =>
                  can(session, 'webhooks:write') ? (
                    <span class="confirm">
                      <button
                        type="button"
                        onClick={() =>
                          act(`Test delivery queued to ${w.url}.`, async () => {
                            await ok(api.POST('/api/v1/webhooks/{id}/test', { params: { path: { id: w.id } } }));
                            if (open === w.id) deliveries.reload();
                            else setOpen(w.id);
                          })
                        }
                      >
                        Send test
                      </button>
                      <ConfirmButton
                        label="Rotate secret"
                        question="Replace the signing secret? The old one keeps signing beside it for a day."
                        confirm="Yes, rotate"
                        onConfirm={() =>
                          act(`Secret of ${w.url} rotated.`, async () => {
                            const rotated = await ok(api.POST('/api/v1/webhooks/{id}/rotate-secret', { params: { path: { id: w.id } }, body: {} }));
                            setSecret({ url: w.url, value: rotated.secret, rotated: true });
                          })
                        }
                      />
                      <ConfirmButton
                        label="Delete subscription"
                        question="Delete this subscription and its delivery history?"
                        confirm="Yes, delete"
                        onConfirm={() =>
                          act(`Subscription to ${w.url} deleted.`, async () => {
                            await ok(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id: w.id } } }));
                            if (open === w.id) setOpen(undefined);
                          }).then(webhooks.reload)
                        }
                      />
                    </span>
                  ) : null,
              },
            ]}
          />
          {secret ? (
            <div class="shown-once" role="status">
              <p>
                <strong>Copy the signing secret of {secret.url} now:</strong> it is shown only this once. Verify each delivery's <code>webhook-signature</code>{' '}
                with it.
                {secret.rotated ? ' The old secret keeps signing beside it for a day.' : ''}
              </p>
              <CopyField label="Signing secret" value={secret.value} />
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
                  setSecret({ url: created.url, value: created.secret, rotated: false });
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
              <h3>Delivery history of {webhooks.data?.find((w) => w.id === open)?.url ?? 'the subscription'}</h3>
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
