import { ok } from '@itops/sdk';
import { api } from '../api.ts';
import { ErrorNote, Section } from '../components/ui.tsx';
import { useCreateForm } from '../hooks.ts';

const statuses = ['investigating', 'identified', 'monitoring', 'resolved'] as const;

/**
 * Posting a staff incident on the status page (what visitors read while something is wrong), with
 * the components it affects. Its later updates are posted from the API for now.
 */
export function NewStatusIncident(props: { components: { id: string; name: string }[]; onCreated: () => void }) {
  const { onSubmit, error, notice } = useCreateForm(async (form) => {
    const created = await ok(
      api.POST('/api/v1/status/incidents', {
        body: {
          title: String(form.get('title')),
          status: String(form.get('status')) as (typeof statuses)[number],
          message: String(form.get('message')),
          componentIds: form.getAll('components').map(String),
        },
      }),
    );
    return `Incident “${created.title}” posted.`;
  }, props.onCreated);
  return (
    <Section title="Post an incident">
      <form class="form-grid" onSubmit={onSubmit}>
        <label for="incident-title">Incident title</label>
        <input id="incident-title" name="title" required maxLength={200} placeholder="Slow logins" />
        <label for="incident-status">Incident status</label>
        <select id="incident-status" name="status">
          {statuses.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label for="incident-message">What visitors read</label>
        <textarea id="incident-message" name="message" required maxLength={5000} rows={3} />
        {props.components.length ? (
          <fieldset>
            <legend>Affected components</legend>
            {props.components.map((c) => (
              <label key={c.id}>
                <input type="checkbox" name="components" value={c.id} /> {c.name}
              </label>
            ))}
          </fieldset>
        ) : null}
        <ErrorNote error={error} />
        <p role="status" class="notice">
          {notice ?? ''}
        </p>
        <button type="submit">Post incident</button>
      </form>
    </Section>
  );
}
