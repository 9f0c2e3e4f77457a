import { ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api, endpointSparklines } from '../api.ts';
import { TimeChart } from '../components/time-chart.tsx';
import { ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useCreateForm, useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { can, useSession } from '../session.ts';
import { CertificateHistory, EndpointHistory } from './check-history.tsx';
import { NewCertificate } from './new-certificate.tsx';

/** The button that opens (or closes) one row's check history below the table. */
function HistoryToggle(props: { name: string; open: boolean; onToggle: () => void }) {
  return (
    <button type="button" aria-expanded={props.open} onClick={props.onToggle}>
      {props.open ? 'Hide' : 'Show'} checks of {props.name}
    </button>
  );
}

export function EndpointsPage() {
  const { session } = useSession();
  const tick = useLiveTick(['endpoint.', 'certificate.']);
  const endpoints = useLoad(() => ok(api.GET('/api/v1/endpoints', { params: { query: { limit: 200 } } })), [tick, session.workspace]);
  const sparklines = useLoad(() => endpointSparklines(20), [tick, session.workspace]);
  const certificates = useLoad(() => ok(api.GET('/api/v1/certificates', { params: { query: { limit: 200 } } })), [tick, session.workspace]);
  // One endpoint's and one certificate's history at a time, any of them (not only the sparklines' first 20).
  const [endpoint, setEndpoint] = useState<{ id: string; name: string }>();
  const [certificate, setCertificate] = useState<{ id: string; name: string }>();
  return (
    <>
      <PageHeader title="Endpoints & certificates" />
      <ErrorNote error={endpoints.error ?? certificates.error} />
      <Section title="Endpoints">
        <Table
          caption="Endpoints"
          rows={endpoints.data?.data}
          empty="No endpoint is monitored yet."
          columns={[
            { title: 'Name', cell: (e) => e.name },
            { title: 'Status', cell: (e) => <StatusBadge status={e.status} /> },
            { title: 'Target', cell: (e) => <code>{e.url ?? `${e.host}:${e.port}`}</code> },
            { title: 'Last check', cell: (e) => <Time at={e.lastCheckAt} /> },
            { title: 'Response', cell: (e) => (e.lastResponseTimeMs == null ? '' : `${e.lastResponseTimeMs} ms`) },
            {
              title: 'History',
              cell: (e) => <HistoryToggle name={e.name} open={endpoint?.id === e.id} onToggle={() => setEndpoint(endpoint?.id === e.id ? undefined : e)} />,
            },
          ]}
        />
      </Section>
      {endpoint ? <EndpointHistory id={endpoint.id} name={endpoint.name} tick={tick} /> : null}
      {sparklines.data?.length ? (
        <Section title="Response times (24 h)">
          {sparklines.data.map((s) => (
            <TimeChart
              key={s.endpointId}
              title={s.name}
              unit="ms"
              times={s.points.map((p) => p.at)}
              series={[{ label: 'Response time', values: s.points.map((p) => p.responseTimeMs) }]}
              summary={`average ${s.avgResponseTimeMs == null ? 'unknown' : `${Math.round(s.avgResponseTimeMs)} ms`}, uptime ${s.uptimePercent == null ? 'unknown' : `${s.uptimePercent.toFixed(2)} %`}`}
            />
          ))}
        </Section>
      ) : null}
      {can(session, 'containers.endpoints:write') ? <NewEndpoint onCreated={endpoints.reload} /> : null}
      <Section title="Certificates">
        <Table
          caption="Certificates"
          rows={certificates.data?.data}
          empty="No certificate is watched yet."
          columns={[
            { title: 'Name', cell: (c) => c.name },
            { title: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
            { title: 'Host', cell: (c) => `${c.host}:${c.port}` },
            { title: 'Days left', cell: (c) => c.daysLeft ?? '' },
            { title: 'Expires', cell: (c) => <Time at={c.notAfter} /> },
            { title: 'Last problem', cell: (c) => c.lastError ?? c.statusReason ?? '' },
            {
              title: 'History',
              cell: (c) => (
                <HistoryToggle name={c.name} open={certificate?.id === c.id} onToggle={() => setCertificate(certificate?.id === c.id ? undefined : c)} />
              ),
            },
          ]}
        />
      </Section>
      {certificate ? <CertificateHistory id={certificate.id} name={certificate.name} tick={tick} /> : null}
      {can(session, 'containers.certificates:write') ? <NewCertificate onCreated={certificates.reload} /> : null}
    </>
  );
}

function NewEndpoint(props: { onCreated: () => void }) {
  const { onSubmit, error, notice } = useCreateForm(async (form) => {
    const created = await ok(
      api.POST('/api/v1/endpoints', {
        body: { name: String(form.get('name')), url: String(form.get('url')), intervalSeconds: Number(form.get('interval')) },
      }),
    );
    return `${created.name} is checked from now on.`;
  }, props.onCreated);
  return (
    <Section title="New endpoint">
      <form class="form-grid" onSubmit={onSubmit}>
        <label for="endpoint-name">Endpoint name</label>
        <input id="endpoint-name" name="name" required maxLength={200} placeholder="website" />
        <label for="endpoint-url">URL</label>
        <input id="endpoint-url" name="url" type="url" required maxLength={2048} placeholder="https://www.example.com/health" />
        <label for="endpoint-interval">Check every (seconds)</label>
        <input id="endpoint-interval" name="interval" type="number" min={10} max={86400} defaultValue={60} required />
        <ErrorNote error={error} />
        <p role="status" class="notice">
          {notice ?? ''}
        </p>
        <button type="submit" class="primary">
          Add endpoint
        </button>
      </form>
    </Section>
  );
}
