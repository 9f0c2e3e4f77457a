import { ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api, describeError } from '../api.ts';
import { CronPreview } from '../components/cron-preview.tsx';
import { Pager } from '../components/pager.tsx';
import { ErrorNote, PageHeader, Section, StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { navigate } from '../router.ts';
import { can, useSession } from '../session.ts';

// A page the browser draws at once even for a workspace with thousands of heartbeats.
const pageSize = 50;

export function HeartbeatsPage() {
  const { session } = useSession();
  const tick = useLiveTick(['heartbeat.']);
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  const list = useLoad(
    () => ok(api.GET('/api/v1/heartbeats', { params: { query: { limit: pageSize, offset, ...(q ? { q } : {}) } } })),
    [tick, session.workspace, q, offset],
  );
  return (
    <>
      <PageHeader title="Heartbeats" />
      <p class="muted">Cron jobs and scripts ping their URL; a heartbeat that misses its schedule goes late, then down, and raises an alert.</p>
      <ErrorNote error={list.error} />
      <Section title="All heartbeats">
        <label class="search">
          Search{' '}
          <input
            type="search"
            value={q}
            maxLength={200}
            onInput={(e) => {
              setQ((e.target as HTMLInputElement).value);
              setOffset(0);
            }}
          />
        </label>
        <Table
          caption="Heartbeats"
          rows={list.data?.data}
          empty="No heartbeat yet: create one below."
          columns={[
            { title: 'Name', cell: (h) => <a href={`/console/heartbeats/${h.id}`}>{h.name}</a> },
            { title: 'Status', cell: (h) => <StatusBadge status={h.status} /> },
            { title: 'Schedule', cell: (h) => (h.kind === 'cron' ? `${h.cron} (${h.timezone})` : `every ${h.periodSeconds} s`) },
            { title: 'Last ping', cell: (h) => <Time at={h.lastPingAt} /> },
            { title: 'Pings', cell: (h) => h.pingCount },
          ]}
        />
        <Pager page={list.data?.page} onOffset={setOffset} label="Heartbeats" />
      </Section>
      {can(session, 'containers.heartbeats:write') ? <CreateHeartbeat onCreated={(id) => navigate(`heartbeats/${id}`)} /> : null}
    </>
  );
}

function CreateHeartbeat(props: { onCreated: (id: string) => void }) {
  const [kind, setKind] = useState<'period' | 'cron'>('period');
  const [cron, setCron] = useState('0 3 * * *');
  const [timezone, setTimezone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const [error, setError] = useState<string>();
  return (
    <Section title="New heartbeat">
      <form
        class="form-grid"
        onSubmit={async (event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget as HTMLFormElement);
          setError(undefined);
          try {
            const grace = Number(form.get('grace'));
            const body =
              kind === 'cron'
                ? { name: String(form.get('name')), cron, timezone, graceSeconds: grace }
                : { name: String(form.get('name')), periodSeconds: Number(form.get('period')), graceSeconds: grace };
            const created = await ok(api.POST('/api/v1/heartbeats', { body }));
            props.onCreated(created.id);
          } catch (e) {
            setError(describeError(e));
          }
        }}
      >
        <label for="hb-name">Name</label>
        <input id="hb-name" name="name" required maxLength={200} placeholder="nightly-backup" />
        <fieldset>
          <legend>Schedule</legend>
          <label>
            <input type="radio" name="kind" value="period" checked={kind === 'period'} onChange={() => setKind('period')} /> Every so many seconds
          </label>
          <label>
            <input type="radio" name="kind" value="cron" checked={kind === 'cron'} onChange={() => setKind('cron')} /> On a cron schedule
          </label>
        </fieldset>
        {kind === 'period' ? (
          <>
            <label for="hb-period">Period (seconds)</label>
            <input id="hb-period" name="period" type="number" min={60} max={31536000} defaultValue={86400} required />
          </>
        ) : (
          <>
            <label for="hb-cron">Cron expression</label>
            <input id="hb-cron" name="cron" value={cron} onInput={(e) => setCron((e.target as HTMLInputElement).value)} required maxLength={200} />
            <label for="hb-timezone">Time zone</label>
            <input id="hb-timezone" name="timezone" value={timezone} onInput={(e) => setTimezone((e.target as HTMLInputElement).value)} maxLength={64} />
            <CronPreview cron={cron} timezone={timezone} />
          </>
        )}
        <label for="hb-grace">Grace (seconds)</label>
        <input id="hb-grace" name="grace" type="number" min={0} max={31536000} defaultValue={3600} required />
        <ErrorNote error={error} />
        <button type="submit" class="primary">
          Create heartbeat
        </button>
      </form>
    </Section>
  );
}
