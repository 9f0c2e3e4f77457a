import type { AlertsService, DatabaseService, EventsService, PlatformEvent, PluginLogger } from '../../../core/plugin-api/index.ts';
import type { ContainerHealth, ContainerState, RuntimeContainer } from '../runtime/runtime-adapter.ts';
import { type ApplyResult, applyObservations, type Observation, type RestartPolicy } from './container-store.ts';

/** The topic the SLA plugin publishes when an agent's sync added or changed services. */
export const servicesReportedTopic = 'sla.services_reported';

interface ReportedService {
  serviceId: string;
  name: string;
  status: string;
  missing: boolean;
  namespace?: string | null;
  workloadType?: string | null;
}

/** An SLA status as a container's state and health. */
const stateOf: Record<string, [ContainerState, ContainerHealth]> = {
  OPERATIONAL: ['running', 'healthy'],
  DEGRADED: ['running', 'unhealthy'],
  DOWN: ['exited', null],
  MAINTENANCE: ['paused', null],
  UNKNOWN: ['unknown', null],
};

/** What an agent reported, as observations of the `agent` source (the SLA service id is the external id). */
export function agentObservations(payload: { nodeId: string; at: string; services: ReportedService[] }): Observation[] {
  const at = new Date(payload.at);
  return payload.services.map((s) => {
    const [state, health] = s.missing ? (['removed', null] as const) : (stateOf[s.status] ?? ['unknown', null]);
    const container: RuntimeContainer = {
      externalId: s.serviceId,
      name: s.name,
      image: '',
      imageDigest: null,
      state,
      health,
      labels: {},
      composeProject: null,
      composeService: null,
      namespace: s.namespace ?? null,
      workloadKind: s.workloadType ? s.workloadType.toLowerCase() : null,
      workloadName: s.workloadType ? s.name : null,
      host: payload.nodeId,
      createdAt: null,
      startedAt: null,
      finishedAt: null,
      exitCode: null,
      restartCount: 0,
    };
    return { externalId: s.serviceId, at, container, ...(s.missing ? { reason: `no longer reported by the agent of ${payload.nodeId}` } : {}) };
  });
}

/**
 * Agents push container state through the SLA plugin's operator API; its `sla.services_reported`
 * event (after commit, on every node) lands them in the container model. Two nodes applying the same
 * report change nothing twice: the second finds the state already at that time.
 */
export function followAgentReports(deps: {
  database: DatabaseService;
  events: EventsService;
  alerts: AlertsService;
  logger: PluginLogger;
  clock: () => Date;
  restart: RestartPolicy;
  onLabelsChanged?: (tenantId: string, changed: ApplyResult['labelsChanged']) => Promise<void>;
}): () => void {
  let chain = Promise.resolve();
  const apply = async (event: PlatformEvent) => {
    if (!event.tenantId) return;
    const tenantId = event.tenantId;
    const observations = agentObservations(event.payload as { nodeId: string; at: string; services: ReportedService[] });
    const result = await deps.database.forTenant(tenantId).transaction((tx) => applyObservations(tx, deps, tenantId, 'agent', observations, deps.clock()));
    if (result.labelsChanged.length > 0) await deps.onLabelsChanged?.(tenantId, result.labelsChanged);
  };
  return deps.events.subscribe(
    (event) => {
      // One report at a time, in the order they arrive.
      chain = chain.then(() => apply(event)).catch((error) => deps.logger.error({ err: error }, 'agent container report not applied'));
    },
    { topics: new Set([servicesReportedTopic]) },
  );
}
