import { readDocument } from '../contract/contract-document.ts';
import type { JsonSchema } from '../plugin-api/index.ts';

/**
 * The core's own settings sections (`core`), declared like a plugin's. Their schemas are the ones
 * the contract documents (settings.openapi.yaml), read from there so the two never differ.
 */
const schemas = (readDocument(new URL('./settings.openapi.yaml', import.meta.url)) as { components: { schemas: Record<string, JsonSchema> } }).components
  .schemas;

export const corePlatformSettings: JsonSchema = schemas.CorePlatformSettings;
export const coreWorkspaceSettings: JsonSchema = schemas.CoreWorkspaceSettings;

/** Time zones are checked against the runtime's own list (a typo would shift every report). */
export function timezoneProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return undefined;
  } catch {
    return `unknown time zone ${value}`;
  }
}
