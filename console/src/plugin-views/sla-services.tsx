import { ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { TimeChart } from '../components/time-chart.tsx';
import { ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { useSession } from '../session.ts';

const percent = (value: number | null | undefined, digits = 3) => (value == null ? '—' : `${value.toFixed(digits)} %`);

/** The service catalog with the workspace's availability trend. */
export function SlaServicesView() {
  const { session } = useSession();
  const tick = useLiveTick(['sla.']);
  const [periodType, setPeriodType] = useState<'DAILY' | 'MONTHLY'>('DAILY');
  const services = useLoad(() => ok(api.GET('/api/v1/sla/services', { params: { query: { limit: 200 } } })), [tick, session.workspace]);
  const trend = useLoad(
    () => ok(api.GET('/api/v1/sla/trend', { params: { query: { periodType, monthsBack: periodType === 'DAILY' ? 1 : 12 } } })),
    [periodType, tick],
  );
  const points = trend.data?.data ?? [];
  return (
    <>
      <PageHeader title="Services" />
      <ErrorNote error={services.error ?? trend.error} />
      <Section title="Availability trend">
        <label>
          Period{' '}
          <select value={periodType} onChange={(e) => setPeriodType((e.target as HTMLSelectElement).value as 'DAILY' | 'MONTHLY')}>
            <option value="DAILY">Daily, last month</option>
            <option value="MONTHLY">Monthly, last year</option>
          </select>
        </label>
        {points.length ? (
          <TimeChart
            title="Availability"
            unit="%"
            times={points.map((p) => p.periodStart)}
            series={[
              { label: 'Availability', values: points.map((p) => p.actualValue) },
              { label: 'Target', values: points.map((p) => p.targetValue), dashed: true },
            ]}
            summary={`latest ${percent(points[points.length - 1]?.actualValue)} against a target of ${percent(points[points.length - 1]?.targetValue)}`}
          />
        ) : (
          <p class="muted">No availability figures yet: they come from the services' reports.</p>
        )}
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
  const service = useLoad(() => ok(api.GET('/api/v1/sla/services/{id}', { params: { path: { id: props.id } } })), [props.id]);
  const trend = useLoad(() => ok(api.GET('/api/v1/sla/services/{id}/trend', { params: { path: { id: props.id }, query: { hoursBack: 24 * 7 } } })), [props.id]);
  const incidents = useLoad(() => ok(api.GET('/api/v1/sla/services/{id}/incidents', { params: { path: { id: props.id }, query: { limit: 50 } } })), [props.id]);
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

/** SLA groups: their target and where they stand. */
export function SlaGroupsView() {
  const groups = useLoad(() => ok(api.GET('/api/v1/sla/groups', {})), []);
  return (
    <>
      <PageHeader title="SLA groups" />
      <ErrorNote error={groups.error} />
      <Section title="All SLA groups">
        <Table
          caption="SLA groups"
          rows={groups.data?.data}
          empty="No SLA group yet (declare them with the templates import)."
          columns={[
            { title: 'Group', cell: (g) => g.displayName ?? g.name },
            { title: 'Tier', cell: (g) => g.tier },
            { title: 'Target', cell: (g) => percent(g.targetValue) },
            { title: 'Uptime', cell: (g) => percent(g.currentUptime) },
            { title: 'SLA', cell: (g) => <StatusBadge status={String(g.slaStatus ?? 'unknown').toLowerCase()} /> },
            { title: 'Services', cell: (g) => g.services.length },
          ]}
        />
      </Section>
    </>
  );
}
