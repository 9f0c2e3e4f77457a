import { AppError, type SqlQuery } from '../../../core/plugin-api/index.ts';
import type { BusinessCalendar } from './business-hours.ts';
import type { SlaTargets } from './sla-clock.ts';

export interface EscalationRule {
  priority: string;
  assignee?: string | null;
}

export interface PolicyRow {
  id: string;
  name: string;
  description: string;
  is_default: boolean;
  targets: Record<string, SlaTargets>;
  calendar: BusinessCalendar | null;
  escalation: EscalationRule[];
  version: number;
  created_at: Date;
  updated_at: Date;
}

export const policyView = (row: PolicyRow) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  isDefault: row.is_default,
  targets: row.targets,
  calendar: row.calendar,
  escalation: row.escalation,
  version: row.version,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/**
 * The policy a ticket runs on: the one it names, or the workspace's default (none: no SLA). A
 * named policy the workspace does not have is the caller's mistake, reported on the field.
 */
export async function policyFor(query: SqlQuery, policyId: string | null | undefined): Promise<PolicyRow | null> {
  if (policyId) {
    const [row] = await query<PolicyRow>('SELECT * FROM ticket_sla_policy WHERE id = ?', [policyId]);
    if (!row)
      throw new AppError('validation_failed', `SLA policy ${policyId} was not found`, {
        details: [{ path: '/slaPolicyId', message: 'no such SLA policy in this workspace' }],
      });
    return row;
  }
  if (policyId === null) return null;
  const [row] = await query<PolicyRow>('SELECT * FROM ticket_sla_policy WHERE is_default');
  return row ?? null;
}

export const targetsFor = (policy: PolicyRow | null, priority: string): SlaTargets | null => policy?.targets[priority] ?? null;
