import { ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { CopyField, ErrorNote, PageHeader, Section, Table, Time } from '../components/ui.tsx';
import { useCreateForm, useLoad } from '../hooks.ts';
import { can, useSession } from '../session.ts';

const scopes = ['read', 'write', 'ingestion', 'admin'] as const;

export function ProfilePage() {
  const { session } = useSession();
  const keys = useLoad(
    () => (can(session, 'apikeys:read') ? ok(api.GET('/api/v1/apikeys', {})).then((l) => l.api_keys) : Promise.resolve([])),
    [session.workspace],
  );
  const [created, setCreated] = useState<{ name: string; key: string }>();
  const [error, setError] = useState<string>();
  return (
    <>
      <PageHeader title="Profile & API keys" />
      <Section title="You">
        <dl class="facts">
          <dt>Signed in as</dt>
          <dd>{session.name}</dd>
          <dt>Workspace</dt>
          <dd>{session.workspace}</dd>
          <dt>Role</dt>
          <dd>{session.role ?? 'none'}</dd>
          <dt>Platform administrator</dt>
          <dd>{session.platformAdmin ? 'yes' : 'no'}</dd>
        </dl>
      </Section>
      {session.platformAdmin ? <NewWorkspace /> : null}
      {can(session, 'apikeys:read') ? (
        <Section title="API keys">
          <Table
            caption="API keys"
            rows={keys.data}
            empty="No API key yet."
            columns={[
              { title: 'Name', cell: (k) => k.name },
              { title: 'Scope', cell: (k) => k.scope },
              { title: 'Prefix', cell: (k) => <code>{k.prefix}</code> },
              { title: 'Created', cell: (k) => <Time at={k.created_at} /> },
              { title: 'Revoked', cell: (k) => (k.revoked_at ? <Time at={k.revoked_at} /> : 'no') },
              {
                title: 'Actions',
                cell: (k) =>
                  can(session, 'apikeys:write') && !k.revoked_at ? (
                    <button
                      type="button"
                      onClick={async () => {
                        await ok(api.DELETE('/api/v1/apikeys/{key_id}', { params: { path: { key_id: k.key_id } } })).catch((e) => setError(describeError(e)));
                        keys.reload();
                      }}
                    >
                      Revoke {k.name}
                    </button>
                  ) : null,
              },
            ]}
          />
          {created ? (
            <div class="shown-once" role="status">
              <p>
                <strong>Copy the key {created.name} now:</strong> it is shown only this once.
              </p>
              <CopyField label="New API key" value={created.key} />
            </div>
          ) : null}
          {can(session, 'apikeys:write') ? (
            <form
              class="form-grid"
              onSubmit={async (event) => {
                event.preventDefault();
                const form = new FormData(event.currentTarget as HTMLFormElement);
                setError(undefined);
                try {
                  const key = await ok(
                    api.POST('/api/v1/apikeys', { body: { name: String(form.get('name')), scope: String(form.get('scope')) as (typeof scopes)[number] } }),
                  );
                  setCreated({ name: key.name, key: key.api_key });
                  (event.target as HTMLFormElement).reset();
                  keys.reload();
                } catch (e) {
                  setError(describeError(e));
                }
              }}
            >
              <label for="key-name">Key name</label>
              <input id="key-name" name="name" required maxLength={100} placeholder="cron-jobs" />
              <label for="key-scope">Scope</label>
              <select id="key-scope" name="scope">
                {scopes.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
              <ErrorNote error={error} />
              <button type="submit" class="primary">
                Create API key
              </button>
            </form>
          ) : null}
        </Section>
      ) : null}
    </>
  );
}

/** Platform admins create workspaces here and become their administrator. */
function NewWorkspace() {
  const { refresh } = useSession();
  const { onSubmit, error, notice } = useCreateForm(async (form) => {
    const me = await ok(api.GET('/api/v1/auth/me'));
    const created = await ok(
      api.POST('/api/v1/tenants', { body: { tenant_id: String(form.get('id')), name: String(form.get('name')), admin_user_id: me.id } }),
    );
    return `Workspace ${created.tenant_id} created: pick it in the workspace switcher.`;
  }, refresh);
  return (
    <Section title="New workspace">
      <form class="form-grid" onSubmit={onSubmit}>
        <label for="workspace-name">Workspace name</label>
        <input id="workspace-name" name="name" required maxLength={200} />
        <label for="workspace-id">Workspace id</label>
        <input id="workspace-id" name="id" required maxLength={63} placeholder="acme-eu" />
        <ErrorNote error={error} />
        <p role="status" class="notice">
          {notice ?? ''}
        </p>
        <button type="submit" class="primary">
          Create workspace
        </button>
      </form>
    </Section>
  );
}
