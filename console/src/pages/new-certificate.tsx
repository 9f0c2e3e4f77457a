import { ok } from '@itops/sdk';
import { api } from '../api.ts';
import { ErrorNote, Section } from '../components/ui.tsx';
import { useCreateForm } from '../hooks.ts';

/**
 * Watch a certificate on its own, without an endpoint (a mail server's, an internal API's): host,
 * port and the days before expiry to be warned at. It is checked at once; its row shows the result.
 */
export function NewCertificate(props: { onCreated: () => void }) {
  const { onSubmit, error, notice } = useCreateForm(async (form) => {
    const name = String(form.get('name')).trim();
    const warningDays = [
      ...new Set(
        String(form.get('warning'))
          .split(/[\s,]+/)
          .filter(Boolean)
          .map(Number),
      ),
    ];
    const created = await ok(
      api.POST('/api/v1/certificates', {
        body: {
          host: String(form.get('host')).trim(),
          port: Number(form.get('port')),
          ...(name ? { name } : {}),
          ...(warningDays.length ? { warningDays } : {}),
        },
      }),
    );
    return `${created.name} is watched from now on.`;
  }, props.onCreated);
  return (
    <Section title="Watch a certificate">
      <form class="form-grid" onSubmit={onSubmit}>
        <label for="certificate-name">Certificate name (optional)</label>
        <input id="certificate-name" name="name" maxLength={200} placeholder="mail server" />
        <label for="certificate-host">Host</label>
        <input id="certificate-host" name="host" required maxLength={253} placeholder="mail.example.com" />
        <label for="certificate-port">Port</label>
        <input id="certificate-port" name="port" type="number" min={1} max={65535} defaultValue={443} required />
        <label for="certificate-warning">Warn at days left</label>
        <input id="certificate-warning" name="warning" defaultValue="30, 14, 7" maxLength={100} />
        <ErrorNote error={error} />
        <p role="status" class="notice">
          {notice ?? ''}
        </p>
        <button type="submit" class="primary">
          Watch certificate
        </button>
      </form>
    </Section>
  );
}
