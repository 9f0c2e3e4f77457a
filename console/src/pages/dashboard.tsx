import { ok } from '@itops/sdk';
import { useEffect, useState } from 'preact/hooks';
import { api, endpointSparklines } from '../api.ts';
import { Sparkline } from '../components/sparkline.tsx';
import { ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { can, useSession } from '../session.ts';
import { HeartbeatLateness } from './heartbeat-lateness.tsx';
import { fieldWords } from './plugin-cells.ts';

const counterLabels: Record<string, string> = {
  alertsFiring: 'Alerts firing',
  alertsFiringCritical: 'Critical alerts',
  eventsLast24h: 'Events (24 h)',
  jobsQueued: 'Jobs queued',
  jobsRunning: 'Jobs running',
  jobsFailedLast24h: 'Jobs failed (24 h)',
};

/** A plugin's counter by its group and name: `automation`, `executionsFailedLast24h` → "automation: executions failed (24 h)". */
function counterLabel(group: string, name: string): string {
  return counterLabels[name] ?? `${group}: ${fieldWords(name.replace(/Last24h$/, ' (24 h)'))}`;
}

/** How long the server keeps a workspace's counted summary (dashboard.module.ts). */
const summaryFreshMs = 10_000;

export function DashboardPage() {
  const { session } = useSession();
  const tick = useLiveTick(['']);
  // The server counts a workspace's summary at most every 10 s and answers from that count until
  // then: once events stop, ask once more when it counts again, so the counters catch up with them.
  const [recount, setRecount] = useState(0);
  useEffect(() => {
    if (tick === 0) return;
    const timer = setTimeout(() => setRecount((n) => n + 1), summaryFreshMs + 500);
    return () => clearTimeout(timer);
  }, [tick]);
  const summary = useLoad(() => ok(api.GET('/api/v1/dashboard/summary', {})), [tick, recount, session.workspace]);
  const alerts = useLoad(() => ok(api.GET('/api/v1/alerts/active', { params: { query: { limit: 10 } } })), [tick, session.workspace]);
  const monitors = can(session, 'containers.heartbeats:read') && session.pages.some((p) => p.plugin === 'containers');
  const sparklines = useLoad(() => (monitors ? endpointSparklines(12) : Promise.resolve([])), [tick, session.workspace]);
  const sla = useLoad(
    () => (session.pages.some((p) => p.plugin === 'sla') && can(session, 'sla:read') ? ok(api.GET('/api/v1/sla/dashboard', {})) : Promise.resolve(undefined)),
    [tick, session.workspace],
  );
  const events = useLoad(
    () =>
      can(session, 'events:read')
        ? ok(api.GET('/api/v1/events/outbox', { params: { query: { limit: 10, sortOrder: 'desc' } } })).then((l) => l.data)
        : Promise.resolve([]),
    [tick, session.workspace],
  );
  return (
    <>
      <PageHeader title="Dashboard" />
      <ErrorNote error={summary.error} />
      <Section title="Summary">
        <dl class="counters">
          {Object.entries(summary.data?.counters ?? {}).flatMap(([group, counters]) =>
            Object.entries(counters as Record<string, number>).map(([name, value]) => (
              <div key={`${group}.${name}`} class="counter">
                <dt>{counterLabel(group, name)}</dt>
                <dd>{value}</dd>
              </div>
            )),
          )}
        </dl>
        {summary.data ? (
          <p class="muted small">
            Counted <Time at={summary.data.generatedAt} />
          </p>
        ) : null}
      </Section>
      {sla.data ? (
        <Section title="SLA status">
          <dl class="counters">
            <div class="counter">
              <dt>Services with SLA</dt>
              <dd>{sla.data.servicesWithSla}</dd>
            </div>
            <div class="counter">
              <dt>Met</dt>
              <dd>{sla.data.metCount}</dd>
            </div>
            <div class="counter">
              <dt>At risk</dt>
              <dd>{sla.data.atRiskCount}</dd>
            </div>
            <div class="counter">
              <dt>Breached</dt>
              <dd>{sla.data.breachedCount}</dd>
            </div>
            <div class="counter">
              <dt>Average uptime</dt>
              <dd>{sla.data.averageUptime == null ? '—' : `${sla.data.averageUptime.toFixed(3)} %`}</dd>
            </div>
          </dl>
        </Section>
      ) : null}
      <div class="grid-2">
        <Section title="Active alerts">
          <ErrorNote error={alerts.error} />
          <Table
            caption="Active alerts"
            rows={alerts.data?.data}
            empty="No alert is firing."
            columns={[
              { title: 'Severity', cell: (a) => <StatusBadge status={a.severity} /> },
              { title: 'Alert', cell: (a) => a.title },
              { title: 'Since', cell: (a) => <Time at={a.firstSeenAt} /> },
            ]}
          />
        </Section>
        {monitors ? (
          <Section title="Heartbeat lateness">
            <HeartbeatLateness tick={tick} workspace={session.workspace} />
          </Section>
        ) : null}
      </div>
      {monitors ? (
        <Section title="Endpoints (24 h)">
          <Table
            caption="Endpoint response times"
            rows={sparklines.data}
            empty="No endpoint is monitored yet."
            columns={[
              { title: 'Endpoint', cell: (s) => s.name },
              { title: 'Status', cell: (s) => <StatusBadge status={s.status} /> },
              { title: 'Uptime', cell: (s) => (s.uptimePercent == null ? '—' : `${s.uptimePercent.toFixed(2)} %`) },
              { title: 'Response time', cell: (s) => <Sparkline label={`${s.name} response time`} points={s.points.map((p) => p.responseTimeMs)} /> },
            ]}
          />
        </Section>
      ) : null}
      {can(session, 'events:read') ? (
        <Section title="Recent events">
          <Table
            caption="Recent events"
            rows={events.data}
            empty="No event yet."
            columns={[
              { title: 'Topic', cell: (e) => <code>{e.topic}</code> },
              { title: 'When', cell: (e) => <Time at={e.createdAt} /> },
            ]}
          />
        </Section>
      ) : null}
    </>
  );
}
