import { AppError, type EventsService, type GraphQLContext, type PluginContext } from '../../../core/plugin-api/index.ts';
import type { CertificateReads } from '../certificates/certificate-reads.ts';
import type { ContainerReads } from '../containers/container-reads.ts';
import type { EndpointReads } from '../endpoints/endpoint-reads.ts';
import type { HeartbeatReads } from '../heartbeats/heartbeat-reads.ts';
import type { HeartbeatRow } from '../heartbeats/heartbeat-rows.ts';

/** The reads REST answers from, and the event stream subscriptions follow. */
export interface ContainersGraphQLDeps {
  heartbeats: HeartbeatReads;
  endpoints: EndpointReads;
  certificates: CertificateReads;
  containers: ContainerReads;
  events: EventsService;
}

type Args = Record<string, unknown>;

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the contract checks before a REST handler runs, for the arguments GraphQL's types cannot say. */
function checked(args: Args): Args {
  const problems: { path: string; message: string }[] = [];
  if (typeof args.id === 'string' && !uuid.test(args.id)) problems.push({ path: '/id', message: 'must be a UUID' });
  if (typeof args.q === 'string' && args.q.length > 200) problems.push({ path: '/q', message: 'must be at most 200 characters' });
  if (typeof args.containerId === 'string' && (args.containerId.length < 1 || args.containerId.length > 200)) {
    problems.push({ path: '/containerId', message: 'must be 1 to 200 characters' });
  }
  if (typeof args.group === 'string' && (args.group.length < 1 || args.group.length > 300))
    problems.push({ path: '/group', message: 'must be 1 to 300 characters' });
  for (const key of ['since', 'until']) {
    const value = args[key];
    if (value instanceof Date && Number.isNaN(value.getTime())) problems.push({ path: `/${key}`, message: 'must be an RFC 3339 timestamp' });
  }
  if (problems.length > 0) throw new AppError('validation_failed', 'The request does not match the contract', { details: problems });
  return args;
}

/** GraphQL arguments as the REST query the shared reads take: nulls left out, timestamps as ISO strings. */
function asQuery(args: Args): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(checked(args))) {
    if (value === null || value === undefined) continue;
    query[key] = value instanceof Date ? value.toISOString() : value;
  }
  return query;
}

/** The heartbeat's row travels with its view (under a symbol no GraphQL field reads) for its executions. */
const heartbeatRow = Symbol('heartbeat row');
type HeartbeatNode = { id: string; [heartbeatRow]?: HeartbeatRow };

/**
 * GraphQL over the same reads as REST (same permissions, same tenant scoping: another workspace's
 * id is null), and the plugin's event topics as subscriptions of the subscriber's workspace.
 */
export function registerResolvers(ctx: PluginContext, deps: ContainersGraphQLDeps): void {
  const { heartbeats, endpoints, certificates, containers, events } = deps;
  const tenant = async (context: GraphQLContext, permission: string) => (await context.authorize(permission)) as string;

  ctx.resolve('Query', 'heartbeats', async (_p, args: Args, context) => heartbeats.list(await tenant(context, 'containers.heartbeats:read'), asQuery(args)));
  ctx.resolve('Query', 'heartbeat', async (_p, args: { id: string }, context) => {
    const tenantId = await tenant(context, 'containers.heartbeats:read');
    const row = await heartbeats.find(tenantId, checked(args).id as string);
    return row ? { ...heartbeats.view(row), [heartbeatRow]: row } : null;
  });
  ctx.resolve('Heartbeat', 'pings', async (heartbeat: HeartbeatNode, args: Args, context) =>
    heartbeats.pings(await tenant(context, 'containers.heartbeats:read'), heartbeat, asQuery(args)),
  );
  ctx.resolve('Heartbeat', 'flips', async (heartbeat: HeartbeatNode, args: Args, context) =>
    heartbeats.flips(await tenant(context, 'containers.heartbeats:read'), heartbeat, asQuery(args)),
  );
  ctx.resolve('Heartbeat', 'executions', async (heartbeat: HeartbeatNode, args: Args, context) => {
    // A heartbeat of a list has no row with it: read it again (it is of the workspace: the list said so).
    const row = heartbeat[heartbeatRow] ?? (await heartbeats.find(await tenant(context, 'containers.heartbeats:read'), heartbeat.id));
    if (!row) throw new AppError('not_found', `Heartbeat ${heartbeat.id} was not found`);
    return heartbeats.executions(row, asQuery(args));
  });

  ctx.resolve('Query', 'endpoints', async (_p, args: Args, context) => endpoints.list(await tenant(context, 'containers.endpoints:read'), asQuery(args)));
  ctx.resolve(
    'Query',
    'endpoint',
    async (_p, args: { id: string }, context) => (await endpoints.find(await tenant(context, 'containers.endpoints:read'), checked(args).id as string)) ?? null,
  );
  ctx.resolve('Endpoint', 'checks', async (endpoint: { id: string }, args: Args, context) =>
    endpoints.checks(await tenant(context, 'containers.endpoints:read'), endpoint, asQuery(args)),
  );
  ctx.resolve('Endpoint', 'flips', async (endpoint: { id: string }, args: Args, context) =>
    endpoints.flips(await tenant(context, 'containers.endpoints:read'), endpoint, asQuery(args)),
  );

  ctx.resolve('Query', 'certificates', async (_p, args: Args, context) =>
    certificates.list(await tenant(context, 'containers.certificates:read'), asQuery(args)),
  );
  ctx.resolve(
    'Query',
    'certificate',
    async (_p, args: { id: string }, context) =>
      (await certificates.find(await tenant(context, 'containers.certificates:read'), checked(args).id as string)) ?? null,
  );
  ctx.resolve('Certificate', 'checks', async (certificate: { id: string }, args: Args, context) =>
    certificates.checks(await tenant(context, 'containers.certificates:read'), certificate, asQuery(args)),
  );

  // A container of the list carries no uptime: it is read for the containers that ask for it.
  const containerRead = 'containers.containers:read';
  ctx.resolve('Query', 'containers', async (_p, args: Args, context) => containers.list(await tenant(context, containerRead), asQuery(args)));
  ctx.resolve('Query', 'container', async (_p, args: { id: string }, context) =>
    containers.get(await tenant(context, containerRead), checked(args).id as string).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'not_found') return null;
      throw error;
    }),
  );
  ctx.resolve(
    'Container',
    'uptime',
    async (container: { id: string; uptime?: unknown }, _a, context) =>
      container.uptime ?? (await containers.get(await tenant(context, containerRead), container.id)).uptime,
  );
  ctx.resolve('Container', 'transitions', async (container: { id: string }, args: Args, context) =>
    containers.transitions(await tenant(context, containerRead), container.id, asQuery(args)),
  );

  for (const [field, topic, permission] of [
    ['heartbeatPinged', 'heartbeat.pinged', 'containers.heartbeats:read'],
    ['heartbeatDeadlineMissed', 'heartbeat.deadline_missed', 'containers.heartbeats:read'],
    ['heartbeatPaused', 'heartbeat.paused', 'containers.heartbeats:read'],
    ['heartbeatResumed', 'heartbeat.resumed', 'containers.heartbeats:read'],
    ['heartbeatDeleted', 'heartbeat.deleted', 'containers.heartbeats:read'],
    ['endpointCheckResult', 'endpoint.check_result', 'containers.endpoints:read'],
    ['endpointAlert', 'endpoint.alert', 'containers.endpoints:read'],
    ['endpointRecovery', 'endpoint.recovery', 'containers.endpoints:read'],
    ['certificateAlert', 'certificate.alert', 'containers.certificates:read'],
    ['certificateRecovery', 'certificate.recovery', 'containers.certificates:read'],
    ['containerStateChanged', 'container.state_changed', 'containers.containers:read'],
    ['containerHealthChanged', 'container.health_changed', 'containers.containers:read'],
    ['containerRestartAlert', 'container.restart_alert', 'containers.containers:read'],
  ] as const) {
    ctx.resolve('Subscription', field, {
      subscribe: async (_p, _a, context) => events.iterate({ tenantId: await tenant(context, permission), topics: new Set([topic]) }),
      resolve: (event: unknown) => event,
    });
  }
}
