import { ok } from '@itops/sdk';
import { api } from '../api.ts';
import { TimeChart } from '../components/time-chart.tsx';
import { ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { useSession } from '../session.ts';

export function EndpointsPage() {
  const { session } = useSession();
  const tick = useLiveTick(['endpoint.', 'certificate.']);
  const endpoints = useLoad(() => ok(api.GET('/api/v1/endpoints', { params: { query: { limit: 200 } } })), [tick, session.workspace]);
  const sparklines = useLoad(() => ok(api.GET('/api/v1/dashboard/sparklines', { params: { query: { limit: 20 } } })), [tick, session.workspace]);
  const certificates = useLoad(() => ok(api.GET('/api/v1/certificates', { params: { query: { limit: 200 } } })), [tick, session.workspace]);
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
          ]}
        />
      </Section>
      {sparklines.data?.data.length ? (
        <Section title="Response times (24 h)">
          {sparklines.data.data.map((s) => (
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
          ]}
        />
      </Section>
    </>
  );
}
