import type { ServiceTimeline } from './availability-inputs.ts';
import { computeAvailability, evaluateBudget, type Period, type PeriodType, type ServiceStatus, type SlaStatus } from './sla-math.ts';

/** One row of sla_snapshot: a service's or a group's figures for one period. */
export interface FigureRow {
  tenantId: string;
  subjectType: 'service' | 'group';
  subjectId: string;
  periodType: PeriodType;
  periodKey: string;
  periodStart: number;
  periodEnd: number;
  /** Availability in percent; null when the period had no eligible time. */
  actualValue: number | null;
  targetValue: number | null;
  eligibleSeconds: number;
  downtimeSeconds: number;
  excludedSeconds: number;
  incidentCount: number;
  status: SlaStatus | null;
  budgetRemainingSeconds: number | null;
}

function statusAt(t: ServiceTimeline, at: number): ServiceStatus | null {
  let status = t.initialStatus;
  for (const tr of t.transitions) {
    if (tr.at >= at) break;
    status = tr.status;
  }
  return status;
}

/**
 * Figures of every timeline for every period, clipped to `now` and to each service's creation, and
 * of each SLA group as the sum of its members' time (a group's availability is the share of its
 * members' eligible seconds that were up; its status judges the members' average downtime against
 * the group target). Pure, so it runs on the worker pool for large catalogs.
 */
export function computeFigures(input: { timelines: ServiceTimeline[]; periods: { type: PeriodType; period: Period }[]; now: number }): FigureRow[] {
  const rows: FigureRow[] = [];
  const groups = new Map<string, { tenantId: string; target: number | null; members: FigureRow[]; start: number }>();
  for (const t of input.timelines) {
    for (const { type, period } of input.periods) {
      const start = Math.max(period.start, t.createdAt);
      const end = Math.min(period.end, input.now);
      if (end <= start) continue;
      const a = computeAvailability({
        start,
        end,
        initialStatus: statusAt(t, start),
        transitions: t.transitions.filter((tr) => tr.at >= start && tr.at < end),
        windows: t.windows,
      });
      const budget =
        t.targetPercent === null
          ? null
          : evaluateBudget({
              targetPercent: t.targetPercent,
              periodStart: start,
              periodEnd: period.end,
              now: input.now,
              excludedSeconds: a.excludedSeconds,
              downtimeSeconds: a.downtimeSeconds,
            });
      const row: FigureRow = {
        tenantId: t.tenantId,
        subjectType: 'service',
        subjectId: t.serviceId,
        periodType: type,
        periodKey: period.key,
        periodStart: period.start,
        periodEnd: period.end,
        actualValue: a.availability === null ? null : a.availability * 100,
        targetValue: t.targetPercent,
        eligibleSeconds: a.totalSeconds - a.excludedSeconds,
        downtimeSeconds: a.downtimeSeconds,
        excludedSeconds: a.excludedSeconds,
        incidentCount: a.incidents.length,
        status: budget?.status ?? null,
        budgetRemainingSeconds: budget?.budgetRemainingSeconds ?? null,
      };
      rows.push(row);
      if (t.groupId) {
        const key = `${t.groupId}|${type}|${period.key}`;
        const group = groups.get(key) ?? { tenantId: t.tenantId, target: t.targetPercent, members: [], start };
        group.members.push(row);
        group.start = Math.min(group.start, start);
        groups.set(key, group);
      }
    }
  }
  for (const [key, g] of groups) {
    const [groupId] = key.split('|');
    const first = g.members[0];
    const sum = (f: (r: FigureRow) => number) => g.members.reduce((s, r) => s + f(r), 0);
    const eligible = sum((r) => r.eligibleSeconds);
    const downtime = sum((r) => r.downtimeSeconds);
    const excluded = sum((r) => r.excludedSeconds);
    const n = g.members.length;
    const budget =
      g.target === null
        ? null
        : evaluateBudget({
            targetPercent: g.target,
            // From the first member's creation, like a service's own period.
            periodStart: g.start,
            periodEnd: first.periodEnd,
            now: input.now,
            excludedSeconds: excluded / n,
            downtimeSeconds: downtime / n,
          });
    rows.push({
      ...first,
      subjectType: 'group',
      subjectId: groupId,
      actualValue: eligible > 0 ? ((eligible - downtime) / eligible) * 100 : null,
      targetValue: g.target,
      eligibleSeconds: eligible,
      downtimeSeconds: downtime,
      excludedSeconds: excluded,
      incidentCount: sum((r) => r.incidentCount),
      status: budget?.status ?? null,
      budgetRemainingSeconds: budget ? budget.budgetRemainingSeconds * n : null,
    });
  }
  return rows;
}
