import type { ConsolePageDeclaration, PluginManifest } from '../plugin-api/index.ts';

const pagePath = /^[a-z][a-z0-9-]*(\/[a-z][a-z0-9-]*)*$/;
const operationId = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
const words = (text: unknown, max: number) => typeof text === 'string' && text.length > 0 && text.length <= max;
// Core's own pages; a plugin page on one of these paths would hide it.
const corePaths = new Set(['dashboard', 'alerts', 'channels', 'license', 'profile', 'login', 'assets']);

/**
 * A manifest's console pages, checked before the plugin loads: paths the console can route, a
 * permission the plugin declares (so a typo cannot show a page to everyone or no one), and a list
 * path among the plugin's own API paths.
 */
export function consoleDeclarationProblems(manifest: PluginManifest, where: string): string[] {
  const declaration = manifest.console;
  if (declaration === undefined) return [];
  if (typeof declaration !== 'object' || declaration === null || !Array.isArray(declaration.pages)) return [`${where}: console must be { pages: [...] }`];
  const problems: string[] = [];
  const permissions = new Set((manifest.permissions ?? []).map((p) => p.name));
  const seen = new Set<string>();
  for (const page of declaration.pages) {
    const name = `${where}: console page "${page?.path}"`;
    if (typeof page?.path !== 'string' || !pagePath.test(page.path) || page.path.length > 100) {
      problems.push(`${name}: path must be lowercase words and dashes separated by /`);
      continue;
    }
    if (corePaths.has(page.path.split('/')[0])) problems.push(`${name}: the console's own page is there`);
    if (seen.has(page.path)) problems.push(`${name}: declared twice`);
    seen.add(page.path);
    for (const field of ['title', 'navGroup'] as const) {
      if (typeof page[field] !== 'string' || page[field].length === 0 || page[field].length > (field === 'title' ? 100 : 50))
        problems.push(`${name}: ${field} must be a non-empty string`);
    }
    if (!permissions.has(page.permission)) problems.push(`${name}: permission "${page.permission}" is not one the manifest declares`);
    if (page.list !== undefined && (typeof page.list !== 'string' || !/^\/api\/v1\/[a-z0-9/_-]+$/.test(page.list)))
      problems.push(`${name}: list must be a parameterless /api/v1/ path`);
    if (
      page.columns !== undefined &&
      (!Array.isArray(page.columns) || page.columns.length > 12 || page.columns.some((c) => typeof c !== 'string' || c.length > 64))
    )
      problems.push(`${name}: columns must be at most 12 field names`);
    const create = page.create;
    if (create !== undefined && (!operationId.test(create?.operation) || !words(create?.label, 50)))
      problems.push(`${name}: create must be { operation: an operationId, label: a button's words }`);
    problems.push(...recordProblems(page.record, name));
  }
  return problems;
}

function recordProblems(record: ConsolePageDeclaration['record'], name: string): string[] {
  if (record === undefined) return [];
  const problems: string[] = [];
  const { actions = [], lists = [] } = record ?? {};
  if (!Array.isArray(actions) || actions.length > 20 || actions.some((a) => !operationId.test(a?.operation) || !words(a?.label, 50)))
    problems.push(`${name}: record.actions must be at most 20 of { operation: an operationId, label: a button's words }`);
  if (
    !Array.isArray(lists) ||
    lists.length > 20 ||
    lists.some(
      (l) =>
        !operationId.test(l?.operation) ||
        !words(l?.title, 100) ||
        (l.columns !== undefined && (!Array.isArray(l.columns) || l.columns.length > 12 || l.columns.some((c) => !words(c, 64)))),
    )
  )
    problems.push(`${name}: record.lists must be at most 20 of { operation: an operationId, title, columns?: at most 12 field names }`);
  return problems;
}
