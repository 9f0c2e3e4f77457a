import { randomUUID } from 'node:crypto';
import { AppError, type Tx } from '../../../core/plugin-api/index.ts';
import { loadTimelines } from '../figures/availability-inputs.ts';
import { computeFigures } from '../figures/period-figures.ts';
import { periodRange, type SlaStatus } from '../figures/sla-math.ts';
import type { SlaDeps } from '../sla-deps.ts';

export type ReportTrigger = 'schedule' | 'manual';

/** One service's line of a daily report (the contract's SlaReport.rows item). */
export interface SlaReportRow {
  serviceId: string;
  service: string;
  nodeId: string;
  slaGroup: string | null;
  targetValue: number | null;
  /** Availability in percent, rounded to 3 decimals; null when the whole day was excluded. */
  actualValue: number | null;
  /** null for services outside any SLA group: there is no target to judge them against. */
  status: SlaStatus | null;
  downtimeMinutes: number;
  excludedMinutes: number;
  incidents: number;
}

export interface SlaReportTotals {
  services: number;
  met: number;
  atRisk: number;
  breached: number;
  /** Mean availability of the services with an SLA target (and some eligible time); null when none. */
  averageUptime: number | null;
  downtimeMinutes: number;
  incidents: number;
}

/** SlaReportSummary of the contract: a stored report without its rows. */
export interface SlaReportSummary {
  id: string;
  reportDate: string;
  trigger: ReportTrigger;
  generatedAt: string;
  summary: SlaReportTotals;
}

export interface SlaReport extends SlaReportSummary {
  rows: SlaReportRow[];
}

const dayMs = 86_400_000;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The UTC day before `now`, as YYYY-MM-DD. */
export function yesterdayUtc(now = Date.now()): string {
  return new Date(periodRange('DAILY', now).start - dayMs).toISOString().slice(0, 10);
}

/**
 * Start and end (epoch ms) of a YYYY-MM-DD UTC day. Rejects what is not a real calendar day
 * (2026-02-30) and days that have not started yet: there is nothing to report on them.
 */
export function reportDay(date: string, now = Date.now()): { start: number; end: number } {
  const start = Date.parse(`${date}T00:00:00Z`);
  if (!datePattern.test(date) || Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== date) {
    throw new AppError('validation_failed', `${date} is not a calendar date`, { details: [{ path: '/date', message: 'must be a date as YYYY-MM-DD' }] });
  }
  if (start > now) {
    throw new AppError('validation_failed', `${date} has not started yet`, { details: [{ path: '/date', message: 'must be today (UTC) or earlier' }] });
  }
  return { start, end: start + dayMs };
}

/**
 * The rows and totals of one workspace's day: for every service that existed during the day, its
 * availability by time over [day start, min(now, day end)) from the same transitions and windows
 * the snapshots use (loadTimelines + computeFigures with one DAILY period), labelled with the
 * service's current name, node and SLA group. A finished day is only ever met or breached; today's
 * partial day can be at risk.
 */
export async function computeDailyReport(
  deps: SlaDeps,
  tenantId: string,
  date: string,
  now = Date.now(),
): Promise<{ rows: SlaReportRow[]; summary: SlaReportTotals }> {
  const day = reportDay(date, now);
  const period = periodRange('DAILY', day.start);
  const db = deps.db.forTenant(tenantId);
  const [timelines, labels] = await Promise.all([
    loadTimelines(db.query, { from: new Date(day.start), to: new Date(day.end) }),
    db.query<{ id: string; name: string; node_id: string; sla_group: string | null }>(
      `SELECT s.id, s.name, s.node_id, g.name AS sla_group FROM sla_service s LEFT JOIN sla_group g ON g.id = s.sla_group_id
       WHERE s.created_at < ?`,
      [new Date(day.end)],
    ),
  ]);
  const labelOf = new Map(labels.map((l) => [l.id, l]));
  const figures = computeFigures({ timelines, periods: [{ type: 'DAILY', period }], now: Math.min(now, day.end) }).filter((f) => f.subjectType === 'service');

  const rows: SlaReportRow[] = [];
  let downtimeSeconds = 0;
  const judged: number[] = [];
  for (const f of figures) {
    const label = labelOf.get(f.subjectId);
    if (!label) continue;
    downtimeSeconds += f.downtimeSeconds;
    if (f.targetValue !== null && f.actualValue !== null) judged.push(f.actualValue);
    rows.push({
      serviceId: f.subjectId,
      service: label.name,
      nodeId: label.node_id,
      slaGroup: label.sla_group,
      targetValue: f.targetValue,
      actualValue: f.actualValue === null ? null : round(f.actualValue, 3),
      status: f.status,
      downtimeMinutes: round(f.downtimeSeconds / 60, 2),
      excludedMinutes: round(f.excludedSeconds / 60, 2),
      incidents: f.incidentCount,
    });
  }
  rows.sort((a, b) => a.nodeId.localeCompare(b.nodeId) || a.service.localeCompare(b.service));
  const count = (status: SlaStatus) => rows.filter((r) => r.status === status).length;
  return {
    rows,
    summary: {
      services: rows.length,
      met: count('met'),
      atRisk: count('at_risk'),
      breached: count('breached'),
      averageUptime: judged.length === 0 ? null : round(judged.reduce((sum, v) => sum + v, 0) / judged.length, 3),
      downtimeMinutes: round(downtimeSeconds / 60, 2),
      incidents: rows.reduce((sum, r) => sum + r.incidents, 0),
    },
  };
}

export const reportGeneratedTopic = 'sla.report_generated';
export const reportFingerprint = 'sla:daily-report';

/**
 * Computes, stores and announces one workspace's daily report: the sla_report row and the
 * `sla.report_generated` event are written in one transaction, together with the alert that
 * delivers it to the workspace's notification channels (see notifyChannels). A manual trigger always stores a new
 * report (a re-run after late data is legitimate); a scheduled one is stored once per workspace and
 * day, so a retried or duplicated job returns null instead of a second copy.
 */
export async function generateDailyReport(
  deps: SlaDeps,
  input: { tenantId: string; date: string; trigger: ReportTrigger },
  now = Date.now(),
): Promise<SlaReport | null> {
  const { tenantId, date, trigger } = input;
  const { rows, summary } = await computeDailyReport(deps, tenantId, date, now);
  const id = randomUUID();
  return deps.db.forTenant(tenantId).transaction(async (tx) => {
    if (trigger === 'schedule') {
      // Serialises concurrent runs for this workspace and day; the check below then sees the winner's row.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext(?))', [`sla_report:${tenantId}:${date}`]);
      const existing = await tx.query("SELECT 1 FROM sla_report WHERE report_date = ?::date AND trigger = 'schedule' LIMIT 1", [date]);
      if (existing.length > 0) return null;
    }
    const [stored] = await tx.query<{ generated_at: Date }>(
      `INSERT INTO sla_report (id, tenant_id, report_date, trigger, summary, rows) VALUES (?, ?, ?::date, ?, ?::jsonb, ?::jsonb) RETURNING generated_at`,
      [id, tenantId, date, trigger, JSON.stringify(summary), JSON.stringify(rows)],
    );
    const generatedAt = new Date(stored.generated_at).toISOString();
    await deps.events.publish(tx, {
      topic: reportGeneratedTopic,
      tenantId,
      // The rows stay out of the event (thousands of services): subscribers fetch the report by id.
      payload: { reportId: id, reportDate: date, trigger, generatedAt, summary },
    });
    const report: SlaReport = { id, reportDate: date, trigger, generatedAt, summary, rows };
    await notifyChannels(tx, deps, tenantId, report);
    return report;
  });
}

/** The one-line headline channels show, e.g. "Daily SLA report 2026-11-22: 12 met, 1 at risk, 0 breached". */
export function reportTitle(r: SlaReportSummary): string {
  const s = r.summary;
  return `Daily SLA report ${r.reportDate}: ${s.met} met, ${s.atRisk} at risk, ${s.breached} breached`;
}

export function reportMessage(r: SlaReportSummary): string {
  const s = r.summary;
  const judged = s.met + s.atRisk + s.breached;
  const average =
    s.averageUptime === null
      ? 'No service has an SLA target.'
      : `Average uptime ${s.averageUptime} % across ${judged} service${judged === 1 ? '' : 's'} with an SLA target.`;
  return (
    `${average} ${s.services} service${s.services === 1 ? '' : 's'} in total, ${s.downtimeMinutes} min of downtime in ` +
    `${s.incidents} incident${s.incidents === 1 ? '' : 's'}. Report ${r.id}.`
  );
}

/**
 * Delivers a report to the workspace's notification channels. The plugin API offers no way to send
 * a plain message to channels: the only plugin-facing path to them is AlertsService (raise/resolve),
 * which routes a firing alert through the channels' rules and silences, formats it per channel type
 * and retries deliveries. So the report goes out as an `info` alert with a fixed fingerprint: the
 * previous one is resolved first (a firing alert notifies only once, and this keeps exactly one
 * report alert open: the latest), then the new one is raised. Channels that heard the previous
 * report also hear it resolve; that is the price of riding on alerts until channels take plain
 * messages.
 */
export async function notifyChannels(tx: Tx, deps: SlaDeps, tenantId: string, report: SlaReportSummary): Promise<void> {
  await deps.alerts.resolve(tx, { tenantId, fingerprint: reportFingerprint });
  await deps.alerts.raise(tx, {
    tenantId,
    source: 'sla',
    entityType: 'report',
    entityId: report.reportDate,
    severity: 'info',
    fingerprint: reportFingerprint,
    title: reportTitle(report),
    message: reportMessage(report),
    labels: { kind: 'daily_report', reportId: report.id, reportDate: report.reportDate, trigger: report.trigger },
  });
}

/**
 * The `sla.daily-report` job (05 past midnight UTC): yesterday's report, or `payload.date`'s, for
 * every workspace that had SLA services that day. Workspaces are independent: one that fails is
 * logged and the others still get theirs; the job then fails so pg-boss retries it, and the retry
 * skips the workspaces already done.
 */
export async function runDailyReportJob(deps: SlaDeps, payload: { date?: string } = {}, now = Date.now()): Promise<{ generated: number; skipped: number }> {
  const date = payload.date ?? yesterdayUtc(now);
  const day = reportDay(date, now);
  // Which workspaces get a report is a question across all of them.
  const tenants = await deps.db.platform.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM sla_service WHERE created_at < ? ORDER BY tenant_id', [
    new Date(day.end),
  ]);
  let generated = 0;
  let skipped = 0;
  const failed: string[] = [];
  for (const { tenant_id: tenantId } of tenants) {
    try {
      if (await generateDailyReport(deps, { tenantId, date, trigger: 'schedule' }, now)) generated++;
      else skipped++;
    } catch (error) {
      failed.push(tenantId);
      deps.logger.error({ err: error, tenantId, date }, 'daily SLA report failed');
    }
  }
  if (failed.length > 0) throw new Error(`daily SLA report for ${date} failed for ${failed.length} workspace(s): ${failed.join(', ')}`);
  deps.logger.info({ date, generated, skipped }, 'daily SLA reports generated');
  return { generated, skipped };
}
