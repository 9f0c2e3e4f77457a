import { alertPermissions } from '../alerts/alerts.module.ts';
import { eventPermissions } from '../events/events.module.ts';
import { identityPermissions } from '../identity/identity.module.ts';
import { licensePermissions } from '../license/license.module.ts';
import { metricsPermissions } from '../http/plugin-metrics.ts';
import { webhookPermissions } from '../webhooks/webhooks.module.ts';
import { jobPermissions } from '../job-runs/job-runs.module.ts';
import { dashboardPermissions } from '../dashboard/dashboard.module.ts';
import { secretPermissions } from '../secrets/secrets.module.ts';
import { settingsPermissions } from '../settings/settings.module.ts';

/** Permission names the core modules declare (the contract bundle checks operations against them). */
export function corePermissionNames(): string[] {
  return [
    ...identityPermissions,
    ...eventPermissions,
    ...webhookPermissions,
    ...licensePermissions,
    ...alertPermissions,
    ...metricsPermissions,
    ...secretPermissions,
    ...settingsPermissions,
    ...jobPermissions,
    ...dashboardPermissions,
  ].map((p) => p.name);
}
