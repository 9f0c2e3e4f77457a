import { ok } from '@itops/sdk';
import { api } from '../api.ts';
import { TimeChart } from '../components/time-chart.tsx';
import { ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { useSession } from '../session.ts';
import { AvailabilityTrend, slaTopics } from './sla-trend.tsx';

/** The service catalog with the workspace's availability trend. */
export function SlaServicesView() {
  const { session } = useSession();
  const tick = useLiveTick(slaTopics);
  const services = useLoad(() => ok(api.GET('/api/v1/sla/services', { params: { query: { limit: 200 } } })), [tick, session.workspace]);
  return (
    <>
      <PageHeader title="Services" />
      <ErrorNote error={services.error} />
      <Section title="Availability trend">
        <AvailabilityTrend tick={tick} />
      </Section>
      <Section title="All services">
        <Table
          caption="Services"
          rows={services.data?.data}
          empty="No service has reported yet (POST /api/v1/health/report or the operator agent)."
          columns={[
            { title: 'Service', cell: (s) => <a href={`/console/sla/services/${s.id}`}>{s.displayName ?? s.name}</a> },
            { title: 'Status', cell: (s) => <StatusBadge status={s.status?.toLowerCase()} /> },
            { title: 'SLA group', cell: (s) => s.slaGroup ?? '' },
            { title: 'Since', cell: (s) => <Time at={s.statusChangedAt} /> },
          ]}
        />
      </Section>
    </>
  );
}

/** One service: its availability over the last days and its incidents. */
export function SlaServiceView(props: { id: string }) {
  const tick = useLiveTick(slaTopics);
  const service = useLoad(() => ok(api.GET('/api/v1/sla/services/{id}', { params: { path: { id: props.id } } })), [props.id, tick]);
  const trend = useLoad(
    () => ok(api.GET('/api/v1/sla/services/{id}/trend', { params: { path: { id: props.id }, query: { hoursBack: 24 * 7 } } })),
    [props.id, tick],
  );
  const incidents = useLoad(
    () => ok(api.GET('/api/v1/sla/services/{id}/incidents', { params: { path: { id: props.id }, query: { limit: 50 } } })),
    [props.id, tick],
  );
  const points = trend.data?.data ?? [];
  const s = service.data as { name?: string; displayName?: string | null; status?: string } | undefined;
  return (
    <>
      <PageHeader title={`Service ${s?.displayName ?? s?.name ?? ''}`}>{s ? <StatusBadge status={s.status?.toLowerCase()} /> : null}</PageHeader>
      <ErrorNote error={service.error} />
      <Section title="Availability, last 7 days">
        {points.length ? (
          <TimeChart
            title="Availability"
            unit="%"
            times={points.map((p) => p.periodStart)}
            series={[
              { label: 'Availability', values: points.map((p) => p.actualValue) },
              { label: 'Target', values: points.map((p) => p.targetValue), dashed: true },
            ]}
            summary={`${points.reduce((sum, p) => sum + p.downtimeMinutes, 0).toFixed(0)} minutes down, ${points.reduce((sum, p) => sum + p.incidentCount, 0)} incidents`}
          />
        ) : (
          <p class="muted">No snapshot yet.</p>
        )}
      </Section>
      <Section title="Incidents">
        <Table
          caption="Incidents"
          rows={incidents.data?.data}
          empty="No incident."
          columns={[
            { title: 'Status', cell: (i) => <StatusBadge status={i.status.toLowerCase()} /> },
            { title: 'Started', cell: (i) => <Time at={i.startedAt} /> },
            { title: 'Ended', cell: (i) => (i.endedAt ? <Time at={i.endedAt} /> : 'ongoing') },
            { title: 'Downtime', cell: (i) => `${i.downtimeMinutes.toFixed(1)} min` },
          ]}
        />
      </Section>
    </>
  );
}
