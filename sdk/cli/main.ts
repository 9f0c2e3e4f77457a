import { Command, CommanderError, Option } from 'commander';
import { ItopsApiError } from '../api-error.ts';
import { createItopsClient, type ItopsClient, ok } from '../client.ts';
import type { Alert, Heartbeat, SlaService } from '../generated/openapi.ts';
import { paginate } from '../pagination.ts';
import { ping, type PingKind } from '../pings.ts';
import { type CliConfig, configPath, readConfig, writeConfig } from './config.ts';
import { exitCodeOf, exitCodes, UsageError } from './exit-codes.ts';
import { runMonitored } from './run-command.ts';

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Read for `login --password-stdin`. */
  stdin: NodeJS.ReadableStream;
}

interface GlobalOptions {
  url?: string;
  workspace?: string;
  apiKey?: string;
  json?: boolean;
  config?: string;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `itops` command line. Returns the exit code (see `exitCodes`) instead of exiting, so it can
 * run in-process in tests. With `--json` every command prints one JSON document on stdout (errors:
 * `{"error": {...}}` on stderr); without it, plain lines meant for people.
 */
export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin },
): Promise<number> {
  let json = argv.includes('--json');
  let exitCode: number = exitCodes.ok;
  const print = (data: unknown, human: () => string) => io.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human()}\n`);

  const program = new Command('itops')
    .description('The itops command line: heartbeats, alerts, workspaces, and `itops run` for cron jobs')
    .option('--url <url>', 'API base URL (env ITOPS_URL; saved by login)')
    .option('-w, --workspace <id>', 'workspace id (env ITOPS_WORKSPACE; saved by login)')
    .option('--api-key <key>', 'API key (env ITOPS_API_KEY) instead of the saved login')
    .option('--json', 'machine-readable JSON output')
    .option('--config <file>', 'config file (env ITOPS_CONFIG; default ~/.config/itops/config.json)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });

  const context = (command: Command) => {
    const options = command.optsWithGlobals<GlobalOptions>();
    json = Boolean(options.json);
    const file = options.config ?? configPath(io.env);
    const config = readConfig(file);
    const url = options.url ?? io.env.ITOPS_URL ?? config.url;
    // Saved credentials belong to the server they were saved for.
    const apiKey = options.apiKey ?? io.env.ITOPS_API_KEY ?? (config.url === url ? config.apiKey : undefined);
    const workspace = options.workspace ?? io.env.ITOPS_WORKSPACE ?? config.workspace;
    return { file, config, url, apiKey, workspace };
  };

  /** A client from flags, environment and the saved login; a refreshed session is saved back. */
  const clientFor = (command: Command, { needsAuth = true, retries }: { needsAuth?: boolean; retries?: number } = {}): ItopsClient => {
    const { file, config, url, apiKey, workspace } = context(command);
    if (!url) throw new UsageError('no server: pass --url, set ITOPS_URL or run itops login');
    const session = apiKey ? undefined : config.url === url ? config.session : undefined;
    if (needsAuth && !apiKey && !session)
      throw new ItopsApiError(401, 'unauthorized', 'not signed in: run itops login, or pass --api-key', undefined, undefined);
    return createItopsClient({
      baseUrl: url,
      apiKey,
      session,
      workspaceId: workspace,
      retries,
      onSession: (next) => writeConfig(file, { ...readConfig(file), session: next }),
    });
  };

  const findHeartbeat = async (client: ItopsClient, reference: string): Promise<Heartbeat> => {
    if (uuidPattern.test(reference)) {
      try {
        return await ok(client.GET('/api/v1/heartbeats/{id}', { params: { path: { id: reference } } }));
      } catch (error) {
        if (!(error instanceof ItopsApiError) || error.status !== 404) throw error;
      }
    }
    const pages = paginate((offset, limit) => ok(client.GET('/api/v1/heartbeats', { params: { query: { offset, limit } } })), { limit: 500 });
    for await (const heartbeat of pages) if (heartbeat.name === reference || heartbeat.uuid === reference) return heartbeat;
    throw new ItopsApiError(404, 'not_found', `no heartbeat named or with id or ping uuid "${reference}"`, undefined, undefined);
  };

  /** The ping uuid of a heartbeat given by name, id or ping uuid; a uuid goes as it is when no credentials are at hand. */
  const pingUuidOf = async (command: Command, reference: string, retries?: number): Promise<{ client: ItopsClient; uuid: string }> => {
    const { apiKey, config, url } = context(command);
    const signedIn = Boolean(apiKey || (config.session && config.url === url));
    const client = clientFor(command, { needsAuth: false, retries });
    if (!signedIn) {
      if (!uuidPattern.test(reference)) throw new UsageError('without credentials, give the heartbeat by its ping uuid');
      return { client, uuid: reference };
    }
    return { client, uuid: (await findHeartbeat(client, reference)).uuid };
  };

  program
    .command('login')
    .description('sign in with email and password (or save an API key) for the later commands')
    .option('--email <email>', 'email (env ITOPS_EMAIL)')
    .option('--password <password>', 'password (env ITOPS_PASSWORD; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (options: { email?: string; password?: string; passwordStdin?: boolean }, command: Command) => {
      const { file, config, url, apiKey, workspace } = context(command);
      if (!url) throw new UsageError('pass --url (or set ITOPS_URL)');
      const saved: CliConfig = { ...config, url, workspace };
      if (apiKey) {
        const client = createItopsClient({ baseUrl: url, apiKey, workspaceId: workspace });
        const me = await ok(client.GET('/api/v1/auth/me'));
        writeConfig(file, { ...saved, apiKey, session: undefined });
        print({ url, workspace, principal: me }, () => `saved API key ${me.name ?? me.id} for ${url}`);
        return;
      }
      const email = options.email ?? io.env.ITOPS_EMAIL;
      const password = options.passwordStdin ? (await readAll(io.stdin)).replace(/\r?\n$/, '') : (options.password ?? io.env.ITOPS_PASSWORD);
      if (!email || !password) throw new UsageError('pass --email and a password (--password-stdin, --password or ITOPS_PASSWORD)');
      const client = createItopsClient({ baseUrl: url, workspaceId: workspace });
      const session = await client.login(email, password);
      const me = await ok(client.GET('/api/v1/auth/me'));
      const chosen = workspace ?? (me.memberships.length === 1 ? me.memberships[0].tenantId : undefined);
      writeConfig(file, { ...saved, workspace: chosen, apiKey: undefined, session });
      print(
        { url, workspace: chosen ?? null, user: { id: me.id, email }, memberships: me.memberships },
        () => `signed in to ${url} as ${email}${chosen ? ` (workspace ${chosen})` : ''}`,
      );
    });

  const workspaces = program.command('workspaces').description('the workspaces you belong to (create: platform admins)');
  workspaces.action(async (_options: unknown, command: Command) => {
    const client = clientFor(command);
    const me = await ok(client.GET('/api/v1/auth/me'));
    let list = me.memberships.map((membership) => ({ id: membership.tenantId, role: membership.role as string | null, name: null as string | null }));
    if (me.platformAdmin) {
      const all = await ok(client.GET('/api/v1/tenants'));
      list = all.tenants.map((tenant) => ({
        id: tenant.tenant_id,
        name: tenant.name,
        role: me.memberships.find((m) => m.tenantId === tenant.tenant_id)?.role ?? null,
      }));
    }
    print(list, () => list.map((w) => [w.id, w.role ?? '-', w.name ?? ''].join('\t')).join('\n') || '(none)');
  });
  workspaces
    .command('create <id>')
    .description('register a workspace (platform admin)')
    .option('--name <name>', 'display name (default: the id)')
    .option('--plan <plan>', 'plan', 'free')
    .action(async (id: string, options: { name?: string; plan: string }, command: Command) => {
      const created = await ok(clientFor(command).POST('/api/v1/tenants', { body: { tenant_id: id, name: options.name ?? id, plan: options.plan } }));
      print(created, () => `created workspace ${created.tenant_id}`);
    });

  const heartbeats = program.command('heartbeats').description('heartbeat monitors of cron jobs and other scheduled work');
  heartbeats
    .command('list')
    .description('every heartbeat of the workspace')
    .option('--status <status>', 'only this status (new, up, late, down, paused)')
    .action(async (options: { status?: string }, command: Command) => {
      const client = clientFor(command);
      const all: Heartbeat[] = [];
      for await (const heartbeat of paginate((offset, limit) => ok(client.GET('/api/v1/heartbeats', { params: { query: { offset, limit } } })), { limit: 500 }))
        if (!options.status || heartbeat.status === options.status) all.push(heartbeat);
      print(all, () => all.map((h) => [h.id, h.name, h.status, h.pingUrl].join('\t')).join('\n') || '(none)');
    });
  heartbeats
    .command('create <name>')
    .description('create a heartbeat that expects a ping every --period seconds or on a --cron schedule')
    .option('--period <seconds>', 'expected interval between pings', toInteger)
    .option('--cron <expression>', 'expected schedule (5-field cron)')
    .option('--timezone <tz>', 'time zone of the cron schedule')
    .option('--grace <seconds>', 'how late a ping may be', toInteger)
    .option('--description <text>', 'description')
    .action(async (name: string, options: { period?: number; cron?: string; timezone?: string; grace?: number; description?: string }, command: Command) => {
      if ((options.period === undefined) === (options.cron === undefined)) throw new UsageError('pass exactly one of --period and --cron');
      const body = {
        name,
        ...(options.period !== undefined ? { periodSeconds: options.period } : { cron: options.cron }),
        ...(options.timezone ? { timezone: options.timezone } : {}),
        ...(options.grace !== undefined ? { graceSeconds: options.grace } : {}),
        ...(options.description ? { description: options.description } : {}),
      };
      const created = await ok(clientFor(command).POST('/api/v1/heartbeats', { body }));
      print(created, () => `created heartbeat ${created.name} (${created.id})\nping URL: ${created.pingUrl}`);
    });
  for (const action of ['pause', 'resume'] as const) {
    heartbeats
      .command(`${action} <heartbeat>`)
      .description(`${action} a heartbeat (by name, id or ping uuid)`)
      .action(async (reference: string, _options: unknown, command: Command) => {
        const client = clientFor(command);
        const { id } = await findHeartbeat(client, reference);
        const path = action === 'pause' ? '/api/v1/heartbeats/{id}/pause' : '/api/v1/heartbeats/{id}/resume';
        const updated = await ok(client.POST(path, { params: { path: { id } } }));
        print(updated, () => `${updated.name}: ${updated.status}`);
      });
  }

  program
    .command('ping <heartbeat>')
    .description('ping a heartbeat (by ping uuid, or by name or id when signed in)')
    .addOption(new Option('--kind <kind>', 'success, start, fail, log, or an exit code').default('success'))
    .option('--body <text>', 'text stored with the ping (- reads standard input)')
    .option('--rid <uuid>', 'run id pairing a start with its completion')
    .action(async (reference: string, options: { kind: string; body?: string; rid?: string }, command: Command) => {
      const kind: PingKind = /^\d+$/.test(options.kind) ? Number(options.kind) : (options.kind as PingKind);
      if (typeof kind === 'string' && !['success', 'start', 'fail', 'log'].includes(kind))
        throw new UsageError(`--kind ${kind}: expected success, start, fail, log or an exit code`);
      const { client, uuid } = await pingUuidOf(command, reference);
      const body = options.body === '-' ? await readAll(io.stdin) : options.body;
      await ping(client, uuid, { kind, body, rid: options.rid });
      print({ uuid, kind, pinged: true }, () => `pinged ${uuid} (${kind})`);
    });

  program
    .command('run <heartbeat>')
    .description('run a command as a monitored job: ping start, run it, ping its exit code with the end of its output')
    .argument('<command...>', 'the command after --')
    .option('--tail <bytes>', 'bytes of output sent with the final ping', toInteger, 10_000)
    .option('--retries <n>', 'attempts per ping after the first', toInteger, 5)
    .action(async (reference: string, commandLine: string[], options: { tail: number; retries: number }, command: Command) => {
      const { client, uuid } = await pingUuidOf(command, reference, options.retries);
      const result = await runMonitored({ client, uuid, command: commandLine, tailBytes: options.tail, stdout: io.stdout, stderr: io.stderr });
      if (json) io.stderr.write(`${JSON.stringify({ uuid, ...result })}\n`);
      exitCode = result.exitCode;
    });

  const alerts = program.command('alerts').description('alerts and silences');
  alerts
    .command('list')
    .description('alerts of the workspace, newest first')
    .addOption(new Option('--status <status>', 'firing or resolved').choices(['firing', 'resolved']))
    .option('--limit <n>', 'at most this many', toInteger, 100)
    .action(async (options: { status?: 'firing' | 'resolved'; limit: number }, command: Command) => {
      const client = clientFor(command);
      const list: Alert[] = [];
      const pages = paginate((offset, limit) => ok(client.GET('/api/v1/alerts', { params: { query: { offset, limit, status: options.status } } })), {
        limit: Math.min(options.limit, 1000),
      });
      for await (const alert of pages) {
        list.push(alert);
        if (list.length >= options.limit) break;
      }
      print(list, () => list.map((a) => [a.id, a.status, a.severity, a.source, a.title].join('\t')).join('\n') || '(none)');
    });
  alerts
    .command('silence')
    .description('hold back notifications of matching alerts for a while')
    .option('--source <source>', 'alerts from this source')
    .option('--entity-type <type>', 'alerts about this kind of entity')
    .option('--entity-id <id>', 'alerts about this entity')
    .addOption(new Option('--severity <severity>', 'alerts of this severity').choices(['critical', 'warning', 'info']))
    .option('--label <key=value...>', 'alerts with these labels')
    .option('--duration <duration>', 'how long, e.g. 30m, 2h, 1d', '1h')
    .requiredOption('--comment <text>', 'why')
    .action(
      async (
        options: {
          source?: string;
          entityType?: string;
          entityId?: string;
          severity?: 'critical' | 'warning' | 'info';
          label?: string[];
          duration: string;
          comment: string;
        },
        command: Command,
      ) => {
        const labels = Object.fromEntries((options.label ?? []).map((pair) => pair.split(/=(.*)/s).slice(0, 2)));
        const matchers = {
          ...(options.source ? { source: options.source } : {}),
          ...(options.entityType ? { entityType: options.entityType } : {}),
          ...(options.entityId ? { entityId: options.entityId } : {}),
          ...(options.severity ? { severity: options.severity } : {}),
          ...(options.label?.length ? { labels } : {}),
        };
        if (Object.keys(matchers).length === 0) throw new UsageError('pass at least one matcher (--source, --entity-type, --entity-id, --severity, --label)');
        const endsAt = new Date(Date.now() + durationMs(options.duration)).toISOString();
        const silence = await ok(clientFor(command).POST('/api/v1/silence', { body: { matchers, endsAt, comment: options.comment } }));
        print(silence, () => `silence ${silence.id} until ${silence.endsAt}`);
      },
    );

  program
    .command('services')
    .description('SLA services of the workspace and their status')
    .action(async (_options: unknown, command: Command) => {
      const client = clientFor(command);
      const list: SlaService[] = [];
      for await (const service of paginate((offset, limit) => ok(client.GET('/api/v1/sla/services', { params: { query: { offset, limit } } }))))
        list.push(service);
      print(list, () => list.map((s) => [s.id, s.name, s.status].join('\t')).join('\n') || '(none)');
    });

  program
    .command('apikeys')
    .description('API keys of the workspace')
    .command('create <name>')
    .description('create an API key; the key is shown once')
    .option('--scope <scope>', 'a role, or ingestion, read, write, admin', 'read')
    .option('--expires <date>', 'expiry (ISO 8601)')
    .action(async (name: string, options: { scope: string; expires?: string }, command: Command) => {
      const body = { name, scope: options.scope as 'read', ...(options.expires ? { expires_at: new Date(options.expires).toISOString() } : {}) };
      const created = await ok(clientFor(command).POST('/api/v1/apikeys', { body }));
      print(created, () => `created API key ${created.name} (${created.key_id}, scope ${created.scope}):\n${created.api_key}`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    const code = exitCodeOf(error);
    if (json) {
      const detail =
        error instanceof ItopsApiError
          ? { status: error.status, code: error.code, message: error.message, details: error.details, correlationId: error.correlationId }
          : { code: Object.entries(exitCodes).find(([, value]) => value === code)?.[0] ?? 'failed', message: (error as Error).message };
      io.stderr.write(`${JSON.stringify({ error: detail })}\n`);
    } else io.stderr.write(`itops: ${(error as Error).message}\n`);
    return code;
  }
}

function toInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`"${value}" is not a whole number`);
  return Number(value);
}

/** `90s`, `30m`, `2h`, `1d` (a bare number is seconds). */
export function durationMs(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) throw new UsageError(`"${text}" is not a duration such as 30m, 2h or 1d`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit * 1000;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}
