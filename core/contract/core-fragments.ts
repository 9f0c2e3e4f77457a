import { withChannelSchemas } from '../alerts/channels/channel-schemas.ts';
import { mergeContract } from './contract-merge.ts';
import { type OpenApiDocument, readDocument, rootDocumentUrl } from './contract-document.ts';

/**
 * The contract fragments of the core modules, in merge order. The kernel serves them with the
 * modules' handlers; `npm run contract` bundles them, so both always agree.
 */
export const coreFragments: Record<string, URL> = {
  identity: new URL('../identity/identity.openapi.yaml', import.meta.url),
  events: new URL('../events/events.openapi.yaml', import.meta.url),
  webhooks: new URL('../webhooks/webhooks.openapi.yaml', import.meta.url),
  license: new URL('../license/license.openapi.yaml', import.meta.url),
  alerts: new URL('../alerts/alerts.openapi.yaml', import.meta.url),
  jobRuns: new URL('../job-runs/job-runs.openapi.yaml', import.meta.url),
  artifacts: new URL('../artifacts/artifacts.openapi.yaml', import.meta.url),
  imports: new URL('../imports/imports.openapi.yaml', import.meta.url),
  exports: new URL('../exports/exports.openapi.yaml', import.meta.url),
  dashboard: new URL('../dashboard/dashboard.openapi.yaml', import.meta.url),
  secrets: new URL('../secrets/secrets.openapi.yaml', import.meta.url),
  settings: new URL('../settings/settings.openapi.yaml', import.meta.url),
  firstRun: new URL('../first-run/first-run.openapi.yaml', import.meta.url),
  console: new URL('../console/console.openapi.yaml', import.meta.url),
};

/** Fragments that name schemas written from data (the channel types' settings), completed before the merge. */
const completed: Record<string, (document: Record<string, any>) => Record<string, any>> = { alerts: withChannelSchemas };

/** The root document with every core module's fragment merged in. */
export function coreDocument(): OpenApiDocument {
  return mergeContract(
    readDocument(rootDocumentUrl()),
    Object.entries(coreFragments).map(([id, url]) => ({ owner: `core:${id}`, document: completed[id]?.(readDocument(url)) ?? readDocument(url) })),
  );
}
