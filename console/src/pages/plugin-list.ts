/** A plugin page's list answer, as the generic page reads it. */

export type Row = Record<string, unknown>;
export interface PageInfo {
  limit: number;
  offset: number;
  returned: number;
  total: number;
}

/**
 * The rows of a list answer, whatever envelope the plugin's API uses (`data`, `anomalies`,
 * `services`, ...), and its `page` when it follows the list conventions (limit and offset), so the
 * page can offer the next ones.
 */
export function listOf(body: unknown): { rows: Row[]; page?: PageInfo } {
  if (Array.isArray(body)) return { rows: body as Row[] };
  if (!body || typeof body !== 'object') return { rows: [] };
  const rows = (Object.values(body).find(Array.isArray) ?? []) as Row[];
  const page = (body as { page?: unknown }).page;
  return isPageInfo(page) ? { rows, page } : { rows };
}

function isPageInfo(value: unknown): value is PageInfo {
  if (!value || typeof value !== 'object') return false;
  const page = value as Record<string, unknown>;
  return ['limit', 'offset', 'returned', 'total'].every((field) => Number.isInteger(page[field]));
}

/** The heading over a page's table: "All tickets", but a singular title ("Audit trail") stands alone. */
export function listHeading(title: string): string {
  return /s$/i.test(title) ? `All ${title.toLowerCase()}` : title;
}
