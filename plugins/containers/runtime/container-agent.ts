/**
 * `npm run agent`: the container agent for hosts the server cannot reach. It reads the local Docker
 * socket and pushes the containers' state to the server's operator API (`POST /api/v1/operator/status`)
 * with an `endpoint_agent` API key, at once on every container event and every 30 s, so one server
 * watches many hosts; the server lands them in its container model as `source: agent`.
 *
 *   ITOPS_AGENT_URL=https://itops.example.com ITOPS_AGENT_API_KEY=… [ITOPS_AGENT_NODE_ID=$(hostname)]
 *   [ITOPS_AGENT_DOCKER_HOST=unix:///var/run/docker.sock] [ITOPS_AGENT_INTERVAL_SECONDS=30] npm run agent
 */
import os from 'node:os';
import { DockerAdapter } from './docker-adapter.ts';
import type { RuntimeContainer } from './runtime-adapter.ts';

export interface AgentOptions {
  serverUrl: string;
  apiKey: string;
  nodeId: string;
  dockerHost: string;
  intervalMs?: number;
  /** Deadline of each push (default 10 s). */
  pushDeadlineMs?: number;
  log?: (message: string) => void;
}

/** A container's state as an SLA service status. */
export function serviceStatus(c: RuntimeContainer): 'OPERATIONAL' | 'DEGRADED' | 'DOWN' | 'MAINTENANCE' | 'UNKNOWN' {
  if (c.state === 'running') return c.health === 'unhealthy' ? 'DEGRADED' : 'OPERATIONAL';
  if (c.state === 'restarting') return 'DEGRADED';
  if (c.state === 'paused') return 'MAINTENANCE';
  if (c.state === 'exited' || c.state === 'dead') return 'DOWN';
  return 'UNKNOWN';
}

/** Service names the operator API accepts: letters, digits and `._:-`, at most 200. */
const serviceName = (name: string) =>
  name
    .replace(/[^A-Za-z0-9._:-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 200) || 'container';

export function syncOf(nodeId: string, containers: RuntimeContainer[]) {
  return {
    nodeId,
    operatorVersion: 'itops-container-agent/1',
    services: containers
      .filter((c) => c.state !== 'removed')
      .slice(0, 2000)
      .map((c) => ({
        name: serviceName(c.name),
        status: serviceStatus(c),
        workloadType: 'Container',
        ...(c.composeProject ? { namespace: c.composeProject.slice(0, 253) } : {}),
        message: `${c.image} ${c.state}${c.exitCode !== null && c.state === 'exited' ? ` (exit ${c.exitCode})` : ''}`.slice(0, 1000),
      })),
  };
}

/** One push of the current state; throws with the server's answer when it is refused. */
export async function pushOnce(options: AgentOptions, adapter = new DockerAdapter({ host: options.dockerHost })): Promise<number> {
  const { containers } = await adapter.list();
  const response = await fetch(new URL('/api/v1/operator/status', options.serverUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': options.apiKey },
    body: JSON.stringify(syncOf(options.nodeId, containers)),
    signal: AbortSignal.timeout(options.pushDeadlineMs ?? 10_000),
  });
  if (!response.ok) throw new Error(`the server answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
  return containers.length;
}

/**
 * Waits `ms`, or less: until `signal` aborts, or `ms` after the first call of the shortening function
 * handed to `shortenWith`. Whichever ends it clears the rest, so an aborted agent leaves no timer
 * keeping its process alive (a stopped agent used to linger for its whole interval) and no listener
 * behind on the signal (one was added per interval, for as long as the agent ran).
 */
function pause(ms: number, signal: AbortSignal, shortenWith?: (shorten: (ms: number) => void) => void): Promise<void> {
  return new Promise((resolve) => {
    let timer = setTimeout(done, ms);
    let shortened = false;
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    shortenWith?.((sooner) => {
      if (shortened) return;
      shortened = true;
      clearTimeout(timer);
      timer = setTimeout(done, sooner);
    });
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}

/** Pushes every interval and after each burst of container events, until `signal` aborts. */
export async function runAgent(options: AgentOptions, signal: AbortSignal): Promise<void> {
  const adapter = new DockerAdapter({ host: options.dockerHost, streamDeadlineMs: 300_000 });
  const log = options.log ?? ((m: string) => console.log(m));
  let due = true;
  let wake: () => void = () => {};
  const push = async () => {
    try {
      log(`pushed ${await pushOnce(options, adapter)} containers`);
    } catch (error) {
      log(`push failed: ${(error as Error).message}`);
    }
  };
  // Events only say that something changed: the next push sends the whole state.
  const watching = (async () => {
    while (!signal.aborted) {
      try {
        const { cursor } = await adapter.list();
        await adapter.watch(
          cursor,
          async () => {
            due = true;
            wake();
          },
          signal,
        );
      } catch (error) {
        log(`event stream: ${(error as Error).message}`);
        await pause(5000, signal);
      }
    }
  })();
  while (!signal.aborted) {
    if (due) {
      due = false;
      await push();
    }
    await pause(options.intervalMs ?? 30_000, signal, (shorten) => {
      // A burst of events is pushed once, a moment after it began.
      wake = () => shorten(200);
    });
    due = true;
  }
  await watching;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const env = process.env;
  if (!env.ITOPS_AGENT_URL || !env.ITOPS_AGENT_API_KEY) {
    console.error('set ITOPS_AGENT_URL and ITOPS_AGENT_API_KEY (an endpoint_agent key of the workspace)');
    process.exit(2);
  }
  const abort = new AbortController();
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => abort.abort());
  await runAgent(
    {
      serverUrl: env.ITOPS_AGENT_URL,
      apiKey: env.ITOPS_AGENT_API_KEY,
      nodeId: env.ITOPS_AGENT_NODE_ID ?? os.hostname(),
      dockerHost: env.ITOPS_AGENT_DOCKER_HOST ?? 'unix:///var/run/docker.sock',
      intervalMs: Number(env.ITOPS_AGENT_INTERVAL_SECONDS ?? 30) * 1000,
    },
    abort.signal,
  );
}
