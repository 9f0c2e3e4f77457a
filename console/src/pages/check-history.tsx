import { ok } from '@itops/sdk';
import { api } from '../api.ts';
import { TimeChart } from '../components/time-chart.tsx';
import { ErrorNote, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';

// The last 200 checks: a day of a one-minute endpoint, seven weeks of a six-hourly certificate.
const historyLimit = 200;

/**
 * One endpoint's response times from its own check results, for any endpoint (the dashboard's
 * sparklines only cover the first few). Checks come newest first; the chart wants oldest first.
 */
export function EndpointHistory(props: { id: string; name: string; tick: number }) {
  const checks = useLoad(
    () => ok(api.GET('/api/v1/endpoints/{id}/checks', { params: { path: { id: props.id }, query: { limit: historyLimit } } })).then((l) => l.data),
    [props.id, props.tick],
  );
  const rows = checks.data ?? [];
  const oldestFirst = [...rows].reverse();
  const failed = rows.filter((c) => !c.ok).length;
  const summary = `${rows.length} ${rows.length === 1 ? 'check' : 'checks'}, ${failed} failed`;
  return (
    <Section title={`Checks of ${props.name}`} id="endpoint-history">
      <ErrorNote error={checks.error} />
      {/* A check that never connected has no response time: with none, there is no line to draw. */}
      {rows.some((c) => c.responseTimeMs != null) ? (
        <TimeChart
          title={props.name}
          unit="ms"
          times={oldestFirst.map((c) => c.checkedAt)}
          series={[{ label: 'Response time', values: oldestFirst.map((c) => c.responseTimeMs ?? null) }]}
          summary={summary}
        />
      ) : rows.length ? (
        <p class="muted">{summary}; none answered, so no response time to chart.</p>
      ) : null}
      <Table
        caption={`Latest checks of ${props.name}`}
        rows={checks.data?.slice(0, 10)}
        empty="Not checked yet."
        columns={[
          { title: 'Checked', cell: (c) => <Time at={c.checkedAt} /> },
          { title: 'Result', cell: (c) => <StatusBadge status={c.ok ? 'up' : 'down'} /> },
          { title: 'Response', cell: (c) => (c.responseTimeMs == null ? '' : `${c.responseTimeMs} ms`) },
          { title: 'Answer', cell: (c) => c.statusCode ?? c.error ?? '' },
        ]}
      />
    </Section>
  );
}

/** One certificate's days left over its checks, and what each check found (a failed handshake says why). */
export function CertificateHistory(props: { id: string; name: string; tick: number }) {
  const checks = useLoad(
    () => ok(api.GET('/api/v1/certificates/{id}/checks', { params: { path: { id: props.id }, query: { limit: historyLimit } } })).then((l) => l.data),
    [props.id, props.tick],
  );
  const rows = checks.data ?? [];
  const oldestFirst = [...rows].reverse();
  const latest = rows[0];
  return (
    <Section title={`Checks of ${props.name}`} id="certificate-history">
      <ErrorNote error={checks.error} />
      {rows.some((c) => c.daysLeft != null) ? (
        <TimeChart
          title={props.name}
          unit="days left"
          times={oldestFirst.map((c) => c.checkedAt)}
          series={[{ label: 'Days left', values: oldestFirst.map((c) => c.daysLeft ?? null) }]}
          summary={latest?.daysLeft == null ? 'days left unknown at the last check' : `${Math.floor(latest.daysLeft)} days left at the last check`}
        />
      ) : null}
      <Table
        caption={`Latest checks of ${props.name}`}
        rows={checks.data?.slice(0, 10)}
        empty="Not checked yet."
        columns={[
          { title: 'Checked', cell: (c) => <Time at={c.checkedAt} /> },
          { title: 'Status', cell: (c) => <StatusBadge status={c.status} /> },
          { title: 'Days left', cell: (c) => (c.daysLeft == null ? '' : Math.floor(c.daysLeft)) },
          { title: 'Problem', cell: (c) => c.error ?? c.chainError ?? c.hostnameError ?? '' },
        ]}
      />
    </Section>
  );
}
