import { ok } from '@itops/sdk';
import { api } from '../api.ts';
import { StatusBadge, Table, Time } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';

/** Rows per status: the dashboard shows the worst few and says how many more there are. */
const perStatus = 20;

/**
 * The down and late heartbeats, asked of the API by status (a workspace may have thousands of
 * heartbeats: filtering a first page in the browser would miss some), most overdue first.
 */
async function overdueHeartbeats() {
  const [down, late] = await Promise.all(
    (['down', 'late'] as const).map((status) =>
      ok(api.GET('/api/v1/heartbeats', { params: { query: { status, limit: perStatus, sortBy: 'nextDeadlineAt', sortOrder: 'asc' } } })),
    ),
  );
  return { rows: [...down.data, ...late.data], total: down.page.total + late.page.total };
}

function duration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

/** How long ago the schedule expected a ping; for one that went down on a failure before its deadline, since when it is down. */
function overdueBy(h: { status: string; nextDeadlineAt?: string | null; statusChangedAt?: string }, now: number): string {
  const deadline = h.nextDeadlineAt ? Date.parse(h.nextDeadlineAt) : Number.NaN;
  if (deadline <= now) return `${duration(now - deadline)} overdue`;
  if (h.statusChangedAt) return `${h.status} for ${duration(now - Date.parse(h.statusChangedAt))}`;
  return h.status;
}

/** The dashboard's heartbeat lateness: reloaded whenever `tick` (a live event) changes. */
export function HeartbeatLateness(props: { tick: number; workspace: string | undefined }) {
  const overdue = useLoad(overdueHeartbeats, [props.tick, props.workspace]);
  const now = Date.now();
  const shown = overdue.data?.rows.length ?? 0;
  return (
    <>
      <Table
        caption="Late and down heartbeats"
        rows={overdue.data?.rows}
        empty="Every heartbeat is on time."
        columns={[
          { title: 'Heartbeat', cell: (h) => <a href={`/console/heartbeats/${h.id}`}>{h.name}</a> },
          { title: 'Status', cell: (h) => <StatusBadge status={h.status} /> },
          { title: 'Overdue', cell: (h) => overdueBy(h, now) },
          { title: 'Last ping', cell: (h) => <Time at={h.lastPingAt} /> },
        ]}
      />
      {overdue.data && overdue.data.total > shown ? (
        <p class="muted small">
          {overdue.data.total - shown} more: <a href="/console/heartbeats">all heartbeats</a>
        </p>
      ) : null}
    </>
  );
}
