import { ok } from '@itops/sdk';
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { TimeChart } from '../components/time-chart.tsx';
import { ErrorNote } from '../components/ui.tsx';
import { useLoad } from '../hooks.ts';

/** The SLA plugin's event topics (`sla.report_generated`, `sla:incident`, `service:status_changed`, ...): what SLA pages reload on. */
export const slaTopics = ['sla.', 'sla:', 'service:'];

export const percent = (value: number | null | undefined, digits = 3) => (value == null ? '—' : `${value.toFixed(digits)} %`);

/**
 * Daily (last month) or monthly (last year) availability against the target, over the services with
 * an SLA or over one SLA group's; `tick` reloads it (a live event).
 */
export function AvailabilityTrend(props: { slaGroup?: string; tick: number }) {
  const [periodType, setPeriodType] = useState<'DAILY' | 'MONTHLY'>('DAILY');
  const { slaGroup } = props;
  const trend = useLoad(
    () =>
      ok(api.GET('/api/v1/sla/trend', { params: { query: { periodType, monthsBack: periodType === 'DAILY' ? 1 : 12, ...(slaGroup ? { slaGroup } : {}) } } })),
    [periodType, slaGroup, props.tick],
  );
  const points = trend.data?.data ?? [];
  const latest = points[points.length - 1];
  return (
    <>
      <ErrorNote error={trend.error} />
      <label for="trend-period">Period</label>{' '}
      <select id="trend-period" value={periodType} onChange={(e) => setPeriodType((e.target as HTMLSelectElement).value as 'DAILY' | 'MONTHLY')}>
        <option value="DAILY">Daily, last month</option>
        <option value="MONTHLY">Monthly, last year</option>
      </select>
      {points.length ? (
        <TimeChart
          title={slaGroup ? `${slaGroup} availability` : 'Availability'}
          unit="%"
          times={points.map((p) => p.periodStart)}
          series={[
            { label: 'Availability', values: points.map((p) => p.actualValue) },
            { label: 'Target', values: points.map((p) => p.targetValue), dashed: true },
          ]}
          summary={`latest ${percent(latest?.actualValue)} against a target of ${percent(latest?.targetValue)}`}
        />
      ) : !trend.data && !trend.error ? (
        <p class="muted">Loading…</p>
      ) : (
        <p class="muted">No availability figures{slaGroup ? ` for ${slaGroup}` : ''} yet: they come from the services' reports.</p>
      )}
    </>
  );
}
