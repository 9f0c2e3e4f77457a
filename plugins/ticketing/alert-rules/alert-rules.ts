import { type DatabaseService, defineList } from '../../../core/plugin-api/index.ts';
import { versionedResource } from '../versioned-resource.ts';

export interface AlertRuleRow {
  id: string;
  name: string;
  enabled: boolean;
  source: string | null;
  min_severity: 'info' | 'warning' | 'critical';
  labels: Record<string, string>;
  priority: 'low' | 'medium' | 'high' | 'urgent';
  assignee: string | null;
  resolve_on_recovery: boolean;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export const alertRuleView = (row: AlertRuleRow) => ({
  id: row.id,
  name: row.name,
  enabled: row.enabled,
  source: row.source,
  minSeverity: row.min_severity,
  labels: row.labels,
  priority: row.priority,
  assignee: row.assignee,
  resolveOnRecovery: row.resolve_on_recovery,
  version: row.version,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/** The rules that turn alerts into tickets, in the resource pattern. */
export function alertRules(database: DatabaseService) {
  return versionedResource<AlertRuleRow, ReturnType<typeof alertRuleView>>(database, {
    table: 'alert_ticket_rule',
    noun: 'Alert rule',
    fields: {
      name: { column: 'name', default: undefined },
      enabled: { column: 'enabled', default: true },
      source: { column: 'source', default: null },
      minSeverity: { column: 'min_severity', default: 'warning' },
      labels: { column: 'labels', json: true, default: {} },
      priority: { column: 'priority', default: 'high' },
      assignee: { column: 'assignee', default: null },
      resolveOnRecovery: { column: 'resolve_on_recovery', default: false },
    },
    list: defineList({
      from: 'alert_ticket_rule',
      sortable: { createdAt: 'created_at', name: 'lower(name)', updatedAt: 'updated_at' },
      defaultSort: 'createdAt',
      equals: { enabled: 'enabled' },
      search: ['name', 'source'],
      view: alertRuleView,
    }),
    view: alertRuleView,
  });
}
