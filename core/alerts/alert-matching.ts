import type { Severity } from './channel-formats.ts';

export const severityRank: Record<Severity, number> = { info: 1, warning: 2, critical: 3 };

/** What routing rules and silences look at. */
export interface MatchableAlert {
  source: string;
  entityType: string;
  entityId: string;
  severity: Severity;
  labels: Record<string, string>;
}

export interface RoutingRule {
  source: string | null;
  minSeverity: Severity | null;
  labels: Record<string, string>;
}

export interface SilenceMatchers {
  source?: string;
  severity?: Severity;
  entityType?: string;
  entityId?: string;
  labels?: Record<string, string>;
}

const labelsMatch = (want: Record<string, string> | undefined, have: Record<string, string>) =>
  Object.entries(want ?? {}).every(([k, v]) => Object.hasOwn(have, k) && have[k] === v);

/** A rule matches when every condition it sets holds: same source, at least minSeverity, each label equal. */
export function ruleMatches(rule: RoutingRule, alert: MatchableAlert): boolean {
  if (rule.source !== null && rule.source !== alert.source) return false;
  if (rule.minSeverity !== null && severityRank[alert.severity] < severityRank[rule.minSeverity]) return false;
  return labelsMatch(rule.labels, alert.labels);
}

/** A channel without rules takes every alert; with rules, an alert that matches any of them. */
export function channelSelected(rules: RoutingRule[], alert: MatchableAlert): boolean {
  return rules.length === 0 || rules.some((rule) => ruleMatches(rule, alert));
}

/** A silence matches when every matcher it sets holds (no matchers: every alert of the workspace). */
export function silenceMatches(matchers: SilenceMatchers, alert: MatchableAlert): boolean {
  if (matchers.source !== undefined && matchers.source !== alert.source) return false;
  if (matchers.severity !== undefined && matchers.severity !== alert.severity) return false;
  if (matchers.entityType !== undefined && matchers.entityType !== alert.entityType) return false;
  if (matchers.entityId !== undefined && matchers.entityId !== alert.entityId) return false;
  return labelsMatch(matchers.labels, alert.labels);
}
