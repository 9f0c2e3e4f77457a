import { ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorNote, PageHeader, Section, StatusBadge, Table } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';
import { useLiveTick } from '../live.ts';
import { useSession } from '../session.ts';
import { AvailabilityTrend, percent, slaTopics } from './sla-trend.tsx';

/** SLA groups: their target, where they stand, and one group's availability trend at a time. */
export function SlaGroupsView() {
  const { session } = useSession();
  const tick = useLiveTick(slaTopics);
  const groups = useLoad(() => ok(api.GET('/api/v1/sla/groups', {})), [tick, session.workspace]);
  const [chosen, setChosen] = useState<string>();
  const list = groups.data?.data ?? [];
  // The first group until the operator picks another (or when the picked one is gone).
  const group = list.find((g) => g.name === chosen)?.name ?? list[0]?.name;
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
      {group ? (
        <Section title="Availability trend">
          <label for="trend-group">SLA group</label>{' '}
          <select id="trend-group" value={group} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
            {list.map((g) => (
              <option key={g.name} value={g.name}>
                {g.displayName ?? g.name}
              </option>
            ))}
          </select>{' '}
          <AvailabilityTrend slaGroup={group} tick={tick} />
        </Section>
      ) : null}
    </>
  );
}
