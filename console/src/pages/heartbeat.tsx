import { ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { CronPreview } from '../components/cron-preview.tsx';
import { CopyField, ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { navigate } from '../router.ts';
import { can, useSession } from '../session.ts';

/** The crontab field for a heartbeat: its own cron expression, or a line that runs at its period. */
function crontabSchedule(heartbeat: { kind: string; cron?: string | null; periodSeconds?: number | null }): string {
  if (heartbeat.kind === 'cron' && heartbeat.cron) return heartbeat.cron;
  const minutes = Math.max(1, Math.round((heartbeat.periodSeconds ?? 3600) / 60));
  if (minutes < 60) return `*/${minutes} * * * *`;
  if (minutes < 1440) return `0 */${Math.round(minutes / 60)} * * *`;
  return '0 3 * * *';
}

export function HeartbeatPage(props: { id: string }) {
  const tick = useLiveTick(['heartbeat.']);
  const heartbeat = useLoad(() => ok(api.GET('/api/v1/heartbeats/{id}', { params: { path: { id: props.id } } })), [props.id, tick]);
  const pings = useLoad(() => ok(api.GET('/api/v1/heartbeats/{id}/pings', { params: { path: { id: props.id }, query: { limit: 50 } } })), [props.id, tick]);
  const flips = useLoad(() => ok(api.GET('/api/v1/heartbeats/{id}/flips', { params: { path: { id: props.id }, query: { limit: 20 } } })), [props.id, tick]);
  const h = heartbeat.data;
  const { session } = useSession();
  const mayWrite = can(session, 'containers.heartbeats:write');
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const act = async (what: string, call: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await call();
      setNotice(what);
      heartbeat.reload();
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <>
      <PageHeader title={h ? `Heartbeat ${h.name}` : 'Heartbeat'}>
        {h ? <StatusBadge status={h.status} /> : null}
        {h && mayWrite ? (
          <>
            <button
              type="button"
              onClick={() =>
                act(h.status === 'paused' ? 'Resumed: the next ping starts its schedule again.' : 'Paused: it no longer times out.', () =>
                  h.status === 'paused'
                    ? ok(api.POST('/api/v1/heartbeats/{id}/resume', { params: { path: { id: h.id } } }))
                    : ok(api.POST('/api/v1/heartbeats/{id}/pause', { params: { path: { id: h.id } } })),
                )
              }
            >
              {h.status === 'paused' ? 'Resume' : 'Pause'}
            </button>
            <button
              type="button"
              onClick={() => {
                if (!confirm(`Delete ${h.name} with its pings and history? Its ping URL stops working.`)) return;
                void act('Deleted.', async () => {
                  await ok(api.DELETE('/api/v1/heartbeats/{id}', { params: { path: { id: h.id } } }));
                  navigate('heartbeats');
                });
              }}
            >
              Delete
            </button>
          </>
        ) : null}
      </PageHeader>
      <p role="status" class="notice">
        {notice ?? ''}
      </p>
      <ErrorNote error={error ?? heartbeat.error} />
      {h ? (
        <>
          <Section title="Ping it">
            <CopyField label="Ping URL" value={h.pingUrl} />
            <CopyField label="curl" value={`curl -fsS -m 10 --retry 5 -o /dev/null ${h.pingUrl}`} />
            <CopyField label="itops run" value={`itops run ${h.uuid} -- /path/to/job.sh`} />
            <CopyField label="crontab line" value={`${crontabSchedule(h)} itops run ${h.uuid} -- /path/to/job.sh`} />
            <p class="muted small">
              Append <code>/start</code> before the job and <code>/fail</code> or the exit code after it to record durations and failures;{' '}
              <code>itops run</code> does both.
            </p>
          </Section>
          <Section title="Schedule">
            <dl class="facts">
              <dt>Schedule</dt>
              <dd>{h.kind === 'cron' ? `${h.cron} (${h.timezone})` : `every ${h.periodSeconds} seconds`}</dd>
              <dt>Grace</dt>
              <dd>{h.graceSeconds} seconds</dd>
              <dt>Last ping</dt>
              <dd>
                <Time at={h.lastPingAt} />
              </dd>
              <dt>Next deadline</dt>
              <dd>
                <Time at={h.nextDeadlineAt} />
              </dd>
            </dl>
            {h.kind === 'cron' && h.cron ? <CronPreview cron={h.cron} timezone={h.timezone} /> : null}
          </Section>
        </>
      ) : null}
      <Section title="Ping log">
        <Table
          caption="Pings, newest first"
          rows={pings.data?.data}
          empty="No ping received yet."
          columns={[
            { title: 'Received', cell: (p) => <Time at={p.receivedAt} /> },
            { title: 'Kind', cell: (p) => <StatusBadge status={p.kind} /> },
            { title: 'Exit code', cell: (p) => p.exitCode ?? '' },
            { title: 'Duration', cell: (p) => (p.durationMs == null ? '' : `${(p.durationMs / 1000).toFixed(1)} s`) },
            { title: 'From', cell: (p) => `${p.method} ${p.remoteAddr ?? ''}` },
            { title: 'Body', cell: (p) => (p.body ? <pre class="ping-body">{p.body}</pre> : '') },
          ]}
        />
      </Section>
      <Section title="Status changes">
        <Table
          caption="Status changes"
          rows={flips.data?.data}
          empty="No status change yet."
          columns={[
            { title: 'When', cell: (f) => <Time at={f.at} /> },
            { title: 'From', cell: (f) => <StatusBadge status={f.from} /> },
            { title: 'To', cell: (f) => <StatusBadge status={f.to} /> },
            { title: 'Why', cell: (f) => f.reason ?? '' },
          ]}
        />
      </Section>
    </>
  );
}
