import { ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { can, useSession } from '../session.ts';

export function LicensePage() {
  const { session, refresh } = useSession();
  // The session is read again when a license changes (here, on another node or by the API): the edition with it.
  const edition = useLoad(() => ok(api.GET('/api/v1/edition')), [session]);
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const e = edition.data;
  return (
    <>
      <PageHeader title="License & edition" />
      <p role="status" class="notice">
        {notice ?? ''}
      </p>
      <ErrorNote error={edition.error} />
      {e ? (
        <Section title="Edition">
          <dl class="facts">
            <dt>Edition</dt>
            <dd>{e.edition}</dd>
            <dt>Licensee</dt>
            <dd>{e.customer ?? 'none'}</dd>
            <dt>Expires</dt>
            <dd>{e.expiresAt ? <Time at={e.expiresAt} /> : 'never'}</dd>
          </dl>
          <Table
            caption="Plugins"
            rows={e.plugins}
            columns={[
              { title: 'Plugin', cell: (p) => p.id },
              { title: 'Licensed', cell: (p) => (p.licensed ? 'yes' : 'no') },
              { title: 'State', cell: (p) => <StatusBadge status={p.state} /> },
            ]}
          />
        </Section>
      ) : null}
      {can(session, 'license:activate') ? (
        <Section title="Activate a license">
          <form
            onSubmit={async (event) => {
              event.preventDefault();
              const form = new FormData(event.currentTarget as HTMLFormElement);
              setError(undefined);
              try {
                const activated = await ok(api.POST('/api/v1/license/activate', { body: { licenseKey: String(form.get('licenseKey')).trim() } }));
                setNotice(`License activated for ${activated.customer}: ${activated.plugins.join(', ')}.`);
                (event.target as HTMLFormElement).reset();
                edition.reload();
                refresh();
              } catch (e) {
                setError(describeError(e));
              }
            }}
          >
            <label for="license-key">License key</label>
            <textarea id="license-key" name="licenseKey" rows={4} required minLength={20} maxLength={10000} />
            <ErrorNote error={error} />
            <button type="submit" class="primary">
              Activate
            </button>
          </form>
        </Section>
      ) : null}
    </>
  );
}
