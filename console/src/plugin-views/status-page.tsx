import { ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { can, useSession } from '../session.ts';
import { NewStatusIncident } from './status-incidents.tsx';

/**
 * The public status page's editor: its address, the components it lists (each a monitor), and a
 * preview of what visitors see. The public page forbids framing, so the preview is drawn here and
 * the real page opens in a new tab.
 */
export function StatusPageView() {
  const { session } = useSession();
  // A component's status follows its monitor's: the preview changes with their events too.
  const tick = useLiveTick(['status_page.', 'heartbeat.', 'endpoint.']);
  const settings = useLoad(() => ok(api.GET('/api/v1/status/settings', {})), [session.workspace]);
  const components = useLoad(() => ok(api.GET('/api/v1/status/components', { params: { query: { limit: 200 } } })), [session.workspace, tick]);
  const heartbeats = useLoad(() => ok(api.GET('/api/v1/heartbeats', { params: { query: { limit: 200 } } })), [session.workspace, tick]);
  const endpoints = useLoad(() => ok(api.GET('/api/v1/endpoints', { params: { query: { limit: 200 } } })), [session.workspace, tick]);
  // Incidents still open, and resolved ones the public page keeps for a week, newest first.
  const incidents = useLoad(
    () => ok(api.GET('/api/v1/status/incidents', { params: { query: { limit: 20, sortBy: 'createdAt', sortOrder: 'desc' } } })),
    [session.workspace, tick],
  );
  // A component is any heartbeat or endpoint, picked in one list grouped by kind (value `kind:id`).
  const monitors = [
    { kind: 'heartbeat' as const, label: 'Heartbeats', rows: heartbeats.data?.data ?? [] },
    { kind: 'endpoint' as const, label: 'Endpoints', rows: endpoints.data?.data ?? [] },
  ].filter((group) => group.rows.length);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const mayWrite = can(session, 'containers.status_page:write');
  const slug = settings.data?.slug;
  const attempt = async (what: string, call: () => Promise<unknown>) => {
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
      <PageHeader title="Status page">
        {slug ? (
          <a href={`/status?workspace=${encodeURIComponent(slug)}`} target="_blank" rel="noopener">
            Open the public page
          </a>
        ) : null}
      </PageHeader>
      <p role="status" class="notice">
        {notice ?? ''}
      </p>
      <ErrorNote error={error ?? settings.error ?? components.error} />
      {mayWrite && settings.data ? (
        <Section title="Address">
          <form
            class="form-grid"
            onSubmit={(event) => {
              event.preventDefault();
              const form = new FormData(event.currentTarget as HTMLFormElement);
              void attempt('Address saved.', () => ok(api.PUT('/api/v1/status/settings', { body: { slug: String(form.get('slug')) } }))).then(settings.reload);
            }}
          >
            <label for="status-slug">Public name (slug)</label>
            <input id="status-slug" name="slug" required maxLength={100} defaultValue={slug ?? ''} />
            <button type="submit">Save address</button>
          </form>
        </Section>
      ) : null}
      <Section title="Components">
        <Table
          caption="Status page components"
          rows={components.data?.data}
          empty="No component yet: add a monitor below."
          columns={[
            { title: 'Name', cell: (c) => c.name },
            { title: 'Monitor', cell: (c) => c.monitorType },
            { title: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
            {
              title: 'Actions',
              cell: (c) =>
                mayWrite ? (
                  <button
                    type="button"
                    onClick={() =>
                      attempt(`Removed ${c.name}.`, () => ok(api.DELETE('/api/v1/status/components/{id}', { params: { path: { id: c.id } } }))).then(
                        components.reload,
                      )
                    }
                  >
                    Remove {c.name}
                  </button>
                ) : null,
            },
          ]}
        />
        {mayWrite && monitors.length ? (
          <form
            class="form-grid"
            onSubmit={(event) => {
              event.preventDefault();
              const formElement = event.currentTarget as HTMLFormElement;
              const form = new FormData(formElement);
              const [monitorType, monitorId] = String(form.get('monitor')).split(':') as ['heartbeat' | 'endpoint', string];
              void attempt('Component added.', () =>
                ok(api.POST('/api/v1/status/components', { body: { name: String(form.get('name')), monitorType, monitorId } })).then(() => formElement.reset()),
              ).then(components.reload);
            }}
          >
            <label for="component-name">Component name</label>
            <input id="component-name" name="name" required maxLength={200} />
            <label for="component-monitor">Monitor</label>
            <select id="component-monitor" name="monitor">
              {monitors.map((group) => (
                <optgroup key={group.kind} label={group.label}>
                  {group.rows.map((m) => (
                    <option key={m.id} value={`${group.kind}:${m.id}`}>
                      {m.name}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
            <button type="submit">Add component</button>
          </form>
        ) : null}
      </Section>
      {mayWrite ? <NewStatusIncident components={components.data?.data ?? []} onCreated={incidents.reload} /> : null}
      <Section title="Preview">
        <div class="status-preview">
          <p class="status-preview-title">{slug ?? session.workspace} status</p>
          {(incidents.data?.data ?? []).map((incident) => (
            <article key={incident.id} class="status-incident" aria-label={`Incident ${incident.title}`}>
              <h3>
                {incident.title} <StatusBadge status={incident.status} />
              </h3>
              <p>{incident.updates.at(-1)?.message}</p>
              {incident.componentIds.length ? (
                <p>
                  Affects{' '}
                  {(components.data?.data ?? [])
                    .filter((c) => incident.componentIds.includes(c.id))
                    .map((c) => c.name)
                    .join(', ')}
                </p>
              ) : null}
              <p class="muted">
                Posted <Time at={incident.createdAt} />
              </p>
            </article>
          ))}
          <ul>
            {(components.data?.data ?? []).map((c) => (
              <li key={c.id}>
                <span>{c.name}</span> <StatusBadge status={c.status} />
              </li>
            ))}
          </ul>
        </div>
      </Section>
    </>
  );
}
