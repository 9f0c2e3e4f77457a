import { type Alert, ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { can, useSession } from '../session.ts';

const durations = [
  ['1 hour', 3600],
  ['4 hours', 4 * 3600],
  ['1 day', 86400],
  ['1 week', 7 * 86400],
] as const;

export function AlertsPage() {
  const { session } = useSession();
  const tick = useLiveTick(['']);
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const active = useLoad(() => ok(api.GET('/api/v1/alerts/active', { params: { query: { limit: 100 } } })), [tick, session.workspace]);
  const silences = useLoad(() => ok(api.GET('/api/v1/silence', {})), [tick, session.workspace]);
  // The newest activity first (the list's default order), so what just resolved is on top.
  const resolved = useLoad(() => ok(api.GET('/api/v1/alerts', { params: { query: { status: 'resolved', limit: 20 } } })), [tick, session.workspace]);
  const mayWrite = can(session, 'silences:write');
  const mayAcknowledge = can(session, 'alerts:acknowledge');
  // An alert raised before a silence keeps silencedBy empty; the silences in force say whether it is quiet now.
  const inForce = (silences.data?.data ?? []).filter((s) => s.state === 'active');
  const silenced = (a: Alert) =>
    Boolean(a.silencedBy) ||
    inForce.some((s) => Object.entries(s.matchers).every(([key, value]) => key === 'labels' || (a as unknown as Record<string, unknown>)[key] === value));
  const ticketing = session.pages.some((p) => p.plugin === 'ticketing') && can(session, 'ticketing.ops:write');

  const silence = async (alert: { id: string; title: string; source: string; entityType: string | null; entityId: string | null }, seconds: number) => {
    setError(undefined);
    try {
      const now = new Date();
      await ok(
        api.POST('/api/v1/silence', {
          body: {
            matchers: {
              source: alert.source,
              ...(alert.entityType ? { entityType: alert.entityType } : {}),
              ...(alert.entityId ? { entityId: alert.entityId } : {}),
            },
            startsAt: now.toISOString(),
            endsAt: new Date(now.getTime() + seconds * 1000).toISOString(),
            comment: `Silenced from the console: ${alert.title}`.slice(0, 500),
          },
        }),
      );
      setNotice(`Silenced “${alert.title}”.`);
      active.reload();
      silences.reload();
    } catch (e) {
      setError(describeError(e));
    }
  };

  const acknowledge = async (alert: { id: string; title: string }) => {
    setError(undefined);
    try {
      await ok(api.POST('/api/v1/alerts/{id}/acknowledge', { params: { path: { id: alert.id } }, body: {} }));
      setNotice(`Acknowledged “${alert.title}”.`);
      active.reload();
    } catch (e) {
      setError(describeError(e));
    }
  };

  const linkTicket = async (alert: { id: string; title: string }) => {
    setError(undefined);
    try {
      const { created, ticket } = await ok(
        api.POST('/api/v1/ops/alerts/{id}/link-ticket', { params: { path: { id: alert.id } }, body: { createTicket: true } }),
      );
      // Asked again for an alert that has an open ticket, the server answers that ticket.
      setNotice(created ? `Opened ${ticket.key} for “${alert.title}”.` : `“${alert.title}” is already on ${ticket.key}.`);
      active.reload();
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <>
      <PageHeader title="Alerts" />
      <p role="status" class="notice">
        {notice ?? ''}
      </p>
      <ErrorNote error={error ?? active.error} />
      <Section title="Firing">
        <Table
          caption="Firing alerts"
          rows={active.data?.data}
          empty="No alert is firing."
          columns={[
            { title: 'Severity', cell: (a) => <StatusBadge status={a.severity} /> },
            { title: 'Alert', cell: (a) => <span title={a.message ?? ''}>{a.title}</span> },
            { title: 'Source', cell: (a) => a.source },
            { title: 'Since', cell: (a) => <Time at={a.firstSeenAt} /> },
            { title: 'Silenced', cell: (a) => (silenced(a) ? 'yes' : 'no') },
            { title: 'Acknowledged', cell: (a) => (a.acknowledgedAt ? `by ${a.acknowledgedBy ?? 'someone'}` : 'no') },
            {
              title: 'Actions',
              cell: (a) => (
                <div class="actions">
                  {mayWrite && !silenced(a) ? (
                    <label>
                      <span class="visually-hidden">Silence {a.title} for</span>
                      <select
                        aria-label={`Silence ${a.title} for`}
                        value=""
                        onChange={(e) => {
                          const seconds = Number((e.target as HTMLSelectElement).value);
                          if (seconds) void silence(a, seconds);
                        }}
                      >
                        <option value="">Silence…</option>
                        {durations.map(([label, seconds]) => (
                          <option key={seconds} value={seconds}>
                            for {label}
                          </option>
                        ))}
                      </select>
                    </label>
                  ) : null}
                  {mayAcknowledge && !a.acknowledgedAt ? (
                    <button type="button" aria-label={`Acknowledge ${a.title}`} onClick={() => acknowledge(a)}>
                      Acknowledge
                    </button>
                  ) : null}
                  {ticketing ? (
                    <button type="button" onClick={() => linkTicket(a)}>
                      Open ticket
                    </button>
                  ) : null}
                </div>
              ),
            },
          ]}
        />
      </Section>
      <Section title="Recently resolved">
        <Table
          caption="Recently resolved alerts"
          rows={resolved.data?.data}
          empty="No alert has resolved yet."
          columns={[
            { title: 'Severity', cell: (a) => <StatusBadge status={a.severity} /> },
            { title: 'Alert', cell: (a) => <span title={a.message ?? ''}>{a.title}</span> },
            { title: 'Source', cell: (a) => a.source },
            { title: 'Fired', cell: (a) => <Time at={a.firstSeenAt} /> },
            { title: 'Resolved', cell: (a) => (a.resolvedAt ? <Time at={a.resolvedAt} /> : '') },
            { title: 'Times raised', cell: (a) => a.count },
          ]}
        />
      </Section>
      <Section title="Silences">
        <Table
          caption="Silences"
          rows={silences.data?.data}
          empty="No silence is active."
          columns={[
            { title: 'State', cell: (s) => <StatusBadge status={s.state} /> },
            {
              title: 'Matches',
              cell: (s) => (
                <code>
                  {Object.entries(s.matchers)
                    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
                    .join(' ')}
                </code>
              ),
            },
            { title: 'Until', cell: (s) => <Time at={s.endsAt} /> },
            { title: 'Comment', cell: (s) => s.comment },
            {
              title: 'Actions',
              cell: (s) =>
                mayWrite && (s.state === 'active' || s.state === 'pending') ? (
                  <button
                    type="button"
                    onClick={async () => {
                      await ok(api.DELETE('/api/v1/silence/{id}', { params: { path: { id: s.id } } })).catch((e) => setError(describeError(e)));
                      silences.reload();
                      active.reload();
                    }}
                  >
                    End silence
                  </button>
                ) : null,
            },
          ]}
        />
      </Section>
    </>
  );
}
