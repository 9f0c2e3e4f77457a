import { isRole, roles } from '../rbac/roles.ts';
import semver from 'semver';
import type { PluginManifest } from '../plugin-api/index.ts';
import { AjvSchemaValidator } from '../validation/schema-validator.ts';
import type { AppError } from '../errors/app-error.ts';
import { configNameProblems } from './plugin-config.ts';
import { settingsDeclarationProblems } from '../settings/settings-declaration.ts';
import { consoleDeclarationProblems } from '../console/console-declaration.ts';
import { localNamePattern, namingProblems, pluginIdPattern as idPattern } from './plugin-names.ts';
const manifestSchema = {
  type: 'object',
  required: ['id', 'version', 'host', 'init'],
  properties: {
    id: { type: 'string', pattern: idPattern },
    version: { type: 'string', minLength: 1 },
    host: { type: 'string', minLength: 1 },
    requires: { type: 'array', items: { type: 'string', pattern: idPattern }, uniqueItems: true },
    optionalRequires: { type: 'array', items: { type: 'string', pattern: idPattern }, uniqueItems: true },
    topicNamespaces: { type: 'array', items: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' }, uniqueItems: true },
    graphql: {},
    openapi: { type: 'object' },
    migrations: {},
    config: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['type', 'description'],
        properties: { type: { enum: ['string', 'integer', 'number', 'boolean'] }, description: { type: 'string', minLength: 1 } },
      },
    },
    jobs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: localNamePattern },
          exported: { type: 'boolean' },
          schedule: { type: 'string', pattern: '^\\S+( \\S+){4,5}$' },
          payloadSchema: { type: 'object' },
          retry: {
            type: 'object',
            additionalProperties: false,
            properties: { limit: { type: 'integer', minimum: 0, maximum: 100 }, delaySeconds: { type: 'integer', minimum: 0 }, backoff: { type: 'boolean' } },
          },
          expireInSeconds: { type: 'integer', minimum: 1 },
          concurrency: { type: 'integer', minimum: 1, maximum: 64 },
        },
      },
    },
    workerTasks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'module'],
        properties: { name: { type: 'string', pattern: localNamePattern }, export: { type: 'string' } },
      },
    },
    permissions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'description'],
        additionalProperties: false,
        properties: { name: { type: 'string', minLength: 1 }, description: { type: 'string', minLength: 1 } },
      },
    },
    policies: {
      type: 'array',
      items: {
        type: 'object',
        required: ['role', 'permission'],
        additionalProperties: false,
        properties: { role: { type: 'string', minLength: 1 }, permission: { type: 'string', minLength: 1 } },
      },
    },
    importKinds: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'description', 'rowSchema', 'upsert', 'read'],
        properties: {
          name: { type: 'string', pattern: '^[a-z][a-z0-9_]*$', maxLength: 64 },
          description: { type: 'string', minLength: 1 },
          rowSchema: { type: 'object', required: ['type', 'properties'], properties: { type: { const: 'object' }, properties: { type: 'object' } } },
        },
      },
    },
    events: {
      type: 'array',
      items: {
        type: 'object',
        required: ['topic'],
        properties: {
          topic: { type: 'string', pattern: '^[a-z][a-z0-9_]*([.:][a-z][a-z0-9_]*)+$' },
          payloadSchema: { type: 'object' },
          exported: { type: 'boolean' },
        },
      },
    },
  },
};

const validator = new AjvSchemaValidator();

/**
 * Checks a manifest before anything of it runs: shape, id, semver version, a host range that
 * includes this host, and contributions that refer to things the manifest itself declares.
 * Returns the problems, each prefixed with where it was found.
 */
export function validateManifest(candidate: unknown, hostVersion: string, source: string): string[] {
  const problems: string[] = [];
  try {
    validator.assert(manifestSchema, candidate, 'manifest');
  } catch (error) {
    const details = (error as AppError).details as { path: string; message: string }[] | undefined;
    return (details ?? [{ path: '/', message: String(error) }]).map((d) => `${source}: ${d.path} ${d.message}`);
  }
  const manifest = candidate as PluginManifest;
  const where = `plugin ${manifest.id} (${source})`;
  if (typeof manifest.init !== 'function') problems.push(`${where}: init must be a function`);
  if (!semver.valid(manifest.version)) problems.push(`${where}: version "${manifest.version}" is not semver`);
  if (!semver.validRange(manifest.host)) problems.push(`${where}: host range "${manifest.host}" is not a semver range`);
  else if (!semver.satisfies(hostVersion, manifest.host, { includePrerelease: true })) {
    problems.push(`${where}: supports host ${manifest.host}, but this host is ${hostVersion}`);
  }
  if (manifest.requires?.includes(manifest.id)) problems.push(`${where}: requires itself`);
  if (manifest.openapi !== undefined && !(manifest.openapi instanceof URL) && typeof manifest.openapi !== 'object')
    problems.push(`${where}: openapi must be a URL or an object`);
  if (manifest.graphql !== undefined && !(manifest.graphql instanceof URL) && typeof manifest.graphql !== 'string')
    problems.push(`${where}: graphql must be SDL text or a URL`);
  for (const kind of manifest.importKinds ?? []) {
    if (typeof kind.upsert !== 'function' || typeof kind.read !== 'function')
      problems.push(`${where}: import kind ${kind.name} needs upsert and read functions`);
  }
  if (manifest.dashboardCounters !== undefined && typeof manifest.dashboardCounters !== 'function')
    problems.push(`${where}: dashboardCounters must be a function`);
  for (const task of manifest.workerTasks ?? []) {
    if (!(task.module instanceof URL)) problems.push(`${where}: worker task ${task.name} module must be a URL (use workerModule(import.meta.url, ...))`);
  }
  problems.push(...namingProblems(manifest, where), ...configNameProblems(manifest, where));
  problems.push(...settingsDeclarationProblems(manifest, where), ...consoleDeclarationProblems(manifest, where));
  const declared = new Set((manifest.permissions ?? []).map((p) => p.name));
  for (const policy of manifest.policies ?? []) {
    if (!declared.has(policy.permission)) problems.push(`${where}: policy grants "${policy.permission}", which the manifest does not declare`);
    // A typo (`viewr`) would otherwise load silently and grant nothing.
    if (!isRole(policy.role)) problems.push(`${where}: policy names the role "${policy.role}", which is not one of ${Object.keys(roles).join(', ')}`);
  }
  const names = (list: { name: string }[] | undefined) => (list ?? []).map((x) => x.name);
  for (const [kind, list] of [
    ['job', names(manifest.jobs)],
    ['worker task', names(manifest.workerTasks)],
    ['permission', names(manifest.permissions)],
    ['import kind', names(manifest.importKinds)],
  ] as const) {
    const seen = new Set<string>();
    for (const name of list) {
      if (seen.has(name)) problems.push(`${where}: ${kind} "${name}" is declared twice`);
      seen.add(name);
    }
  }
  return problems;
}
