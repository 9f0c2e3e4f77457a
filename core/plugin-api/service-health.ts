import type { Tx } from '../db/sql-handles.ts';
import { createServiceToken } from './tokens.ts';

/** One monitored service's health this month. */
export interface TaggedServiceHealth {
  id: string;
  name: string;
  displayName: string | null;
  /** OPERATIONAL, DEGRADED, DOWN, MAINTENANCE or UNKNOWN. */
  status: string;
  slaGroup: string | null;
  /** This month's availability in percent (maintenance excluded); null before any eligible time. */
  availabilityPercent: number | null;
  targetPercent: number | null;
  downtimeSeconds: number;
  /** What the target still allows to be lost this month; null without a target. */
  errorBudgetRemainingSeconds: number | null;
  /** MET, AT_RISK or BREACHED; null without a target. */
  slaStatus: string | null;
}

export interface TaggedGroupHealth {
  id: string;
  name: string;
  displayName: string | null;
  targetPercent: number | null;
  availabilityPercent: number | null;
  errorBudgetRemainingSeconds: number | null;
  slaStatus: string | null;
}

/** A daily SLA report, narrowed to the tagged services' rows. */
export interface TaggedReport {
  id: string;
  reportDate: string;
  generatedAt: string;
  rows: {
    serviceId: string;
    service: string;
    actualValue: number | null;
    targetValue: number | null;
    status: string | null;
    downtimeMinutes: number;
    incidents: number;
  }[];
}

/**
 * The SLA plugin's figures for the services carrying any of the given tags (and the SLA groups they
 * belong to), in the caller's workspace transaction. Offered to plugins that name `sla` in
 * `requires` or `optionalRequires` (the client portal tags a client's services `client:<id>`).
 */
export interface ServiceHealthService {
  forTags(
    tx: Tx,
    tags: string[],
    options?: { reports?: number },
  ): Promise<{ services: TaggedServiceHealth[]; groups: TaggedGroupHealth[]; reports: TaggedReport[] }>;
}

export const serviceHealthToken = createServiceToken<ServiceHealthService>('sla service health by tag');
