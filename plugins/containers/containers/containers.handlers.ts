import { PassThrough } from 'node:stream';
import { AppError, type DatabaseService, type OperationRequest, type OperationResponse } from '../../../core/plugin-api/index.ts';
import { endpointReads } from '../endpoints/endpoint-reads.ts';
import type { ContainerRef, LogLine, RuntimeAdapter } from '../runtime/runtime-adapter.ts';
import { RuntimeHttpError } from '../runtime/runtime-http.ts';
import { containerReads } from './container-reads.ts';

/** The runtime the server watches, and the one workspace its containers belong to. */
export interface RuntimeBinding {
  adapter: RuntimeAdapter;
  tenantId: string;
  endpoint: string;
}

export interface ContainerHandlerDeps {
  database: DatabaseService;
  clock: () => Date;
  runtime?: RuntimeBinding;
  /** Log streams one node holds open at most (default 200). */
  maxLogStreams?: number;
}

type Req<Q = Record<string, unknown>> = OperationRequest<unknown, { id: string }, Q>;

/** Every operation here is tenant-scoped: the router resolved the workspace before the handler runs. */
const tenantOf = (req: Req<unknown>): string => {
  if (!req.tenantId) throw new AppError('not_found', 'No workspace');
  return req.tenantId;
};

const time = (value: Date | string | null | undefined) => (value ? new Date(value).toISOString() : null);

/** A runtime failure as the client sees it: 503 with what the runtime said. */
function unavailable(error: unknown): never {
  if (error instanceof RuntimeHttpError) {
    if (error.status === 404) throw new AppError('not_found', 'The runtime no longer knows this container');
    throw new AppError('unavailable', `The container runtime did not answer: ${error.message}`);
  }
  throw error;
}

/** Runtime status, containers (list with groups, detail with uptime, transitions), logs and the endpoints a container declares. */
export function containerHandlers(deps: ContainerHandlerDeps) {
  const reads = containerReads(deps);
  const endpoints = endpointReads({ database: deps.database });
  let openStreams = 0;

  /** The runtime that can read this container's logs, or a 409 saying why none can. */
  const runtimeFor = async (req: Req) => {
    const row = await reads.find(deps.database.forTenant(tenantOf(req)).query, req.params.id);
    const runtime = deps.runtime;
    if (!runtime || runtime.tenantId !== tenantOf(req) || runtime.adapter.kind !== row.source) {
      throw new AppError(
        'conflict',
        `Container ${row.name} is reported by ${row.source === 'agent' ? 'an agent' : `a ${row.source} runtime this server does not reach`}: its logs are not available here`,
      );
    }
    if (row.state === 'removed') throw new AppError('conflict', `Container ${row.name} was removed`);
    const ref: ContainerRef = { externalId: row.external_id, name: row.name, namespace: row.namespace };
    return { adapter: runtime.adapter, ref, row };
  };

  return {
    async getRuntimeStatus(req: Req) {
      const db = deps.database.forTenant(tenantOf(req));
      const [state] = await db.query<Record<string, string | boolean | Date | null>>('SELECT * FROM container_runtime_state');
      const [counts] = await db.query<{ total: string; running: string }>(
        "SELECT count(*) AS total, count(*) FILTER (WHERE state = 'running') AS running FROM container WHERE state <> 'removed'",
      );
      const agents = await db.query<{ host: string; containers: string; last_seen_at: Date }>(
        "SELECT coalesce(host, 'unknown') AS host, count(*) AS containers, max(last_seen_at) AS last_seen_at FROM container WHERE source = 'agent' AND state <> 'removed' GROUP BY 1 ORDER BY 1",
      );
      const watched = deps.runtime?.tenantId === tenantOf(req) ? deps.runtime : undefined;
      const agentsRecent = agents.some((a) => deps.clock().getTime() - new Date(a.last_seen_at).getTime() < 300_000);
      const runtime = watched ? watched.adapter.kind : agents.length > 0 ? 'agent' : 'none';
      return {
        runtime,
        connected: watched ? state?.connected === true : agentsRecent,
        endpoint: watched ? watched.endpoint : null,
        apiVersion: watched ? ((state?.api_version as string) ?? null) : null,
        serverVersion: watched ? ((state?.server_version as string) ?? null) : null,
        connectedAt: watched ? time(state?.connected_at as Date) : null,
        listedAt: watched ? time(state?.listed_at as Date) : null,
        lastEventAt: watched ? time(state?.last_event_at as Date) : null,
        error: watched ? ((state?.error as string) ?? null) : null,
        containers: { total: Number(counts.total), running: Number(counts.running) },
        agents: agents.map((a) => ({ host: a.host, containers: Number(a.containers), lastSeenAt: time(a.last_seen_at) as string })),
      };
    },

    listContainers(req: Req) {
      return reads.list(tenantOf(req), req.query);
    },

    getContainer(req: Req) {
      return reads.get(tenantOf(req), req.params.id);
    },

    listContainerTransitions(req: Req) {
      return reads.transitions(tenantOf(req), req.params.id, req.query);
    },

    async listContainerEndpoints(req: Req) {
      await reads.find(deps.database.forTenant(tenantOf(req)).query, req.params.id);
      const { limit, offset } = req.query;
      return endpoints.list(tenantOf(req), { limit, offset, containerId: req.params.id });
    },

    async getContainerLogs(req: Req<{ tail?: number; since?: string }>) {
      const { adapter, ref } = await runtimeFor(req);
      const lines = await adapter.logs(ref, { tail: req.query.tail ?? 100, since: req.query.since ? new Date(req.query.since) : undefined }).catch(unavailable);
      return { containerId: req.params.id, lines };
    },

    async streamContainerLogs(req: Req<{ tail?: number; since?: string }>): Promise<OperationResponse> {
      const { adapter, ref } = await runtimeFor(req);
      if (openStreams >= (deps.maxLogStreams ?? 200)) {
        throw new AppError('unavailable', 'This server holds as many log streams as it allows; retry later', { headers: { 'retry-after': '10' } });
      }
      openStreams += 1;
      const stream = new PassThrough();
      const abort = new AbortController();
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        openStreams -= 1;
        clearInterval(keepAlive);
        abort.abort();
        stream.end();
      };
      const keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), 15_000);
      req.signal.addEventListener('abort', close, { once: true });
      stream.on('close', close);
      stream.write('retry: 3000\n\n');
      const send = (line: LogLine) => {
        if (closed) return;
        stream.write(`event: log\ndata: ${JSON.stringify(line)}\n\n`);
        // A client that stops reading is cut off rather than buffered without end.
        if (stream.writableLength > 1 << 20) close();
      };
      adapter
        .followLogs(ref, { tail: req.query.tail ?? 0, since: req.query.since ? new Date(req.query.since) : undefined }, send, abort.signal)
        .then(
          () => {
            if (!closed) stream.write('event: end\ndata: {"reason":"the runtime closed the stream"}\n\n');
          },
          (error: Error) => {
            if (!closed) stream.write(`event: error\ndata: ${JSON.stringify({ message: error.message })}\n\n`);
          },
        )
        .finally(close);
      return {
        status: 200,
        headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' },
        body: stream,
      };
    },
  };
}
