/**
 * The public ingest paths `npm run load` drives, each with what it needs set up first (through the
 * API, in one workspace, as an operator would) and the requests it then sends. What arrives on these
 * paths comes from outside: cron jobs, agents, Prometheus, Alertmanager, GitHub.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { compress } from 'snappyjs';
import { writeRequest } from '../plugins/aiops/remote-write/write-request.testkit.ts';
import type { RequestTemplate } from './load-requests.ts';

export interface LoadWorld {
  base: string;
  workspace: string;
  /** An msp_admin of the workspace (token and x-workspace-id). */
  admin: Record<string, string>;
  /** POST as JSON; throws on anything but 2xx. */
  post: (path: string, body: unknown, headers: Record<string, string>) => Promise<any>;
  /** The Alertmanager receiver's Authorization header, when the server requires one. */
  alertmanagerAuthorization?: string;
}

export interface IngestPath {
  name: string;
  description: string;
  /** The status a request that did its work answers. */
  expected: number[];
  prepare: (world: LoadWorld) => Promise<RequestTemplate[]>;
}

const TEMPLATES = 16;

async function ingestionKey(world: LoadWorld): Promise<Record<string, string>> {
  const key = await world.post(
    '/api/v1/apikeys',
    { name: `load-${randomUUID().slice(0, 8)}`, scope: 'ingestion', rate_limit_rps: 100_000 },
    { ...world.admin, 'idempotency-key': randomUUID() },
  );
  return { 'x-api-key': key.api_key, 'x-workspace-id': world.workspace };
}

const json = (method: string, path: string, body: unknown, headers: Record<string, string>): RequestTemplate => ({
  method,
  path,
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

export const ingestPaths: IngestPath[] = [
  {
    name: 'pings',
    description: 'heartbeat pings, GET /ping/{uuid} over 16 heartbeats (public; each ping stored before the answer)',
    expected: [200],
    prepare: async (world) => {
      const beats = [];
      for (let i = 0; i < TEMPLATES; i++)
        beats.push(
          await world.post(
            '/api/v1/heartbeats',
            { name: `load-${i}`, periodSeconds: 60, graceSeconds: 60 },
            { ...world.admin, 'idempotency-key': randomUUID() },
          ),
        );
      return beats.map((beat) => ({ method: 'GET', path: `/ping/${beat.uuid}` }));
    },
  },
  {
    name: 'operator-sync',
    description: 'SLA operator syncs, POST /api/v1/operator/status from 16 nodes of 20 services (ingestion API key)',
    expected: [200],
    prepare: async (world) => {
      const headers = await ingestionKey(world);
      return Array.from({ length: TEMPLATES }, (_, node) =>
        json(
          'POST',
          '/api/v1/operator/status',
          {
            nodeId: `load-node-${node}`,
            operatorVersion: '1.0.0',
            services: Array.from({ length: 20 }, (_, s) => ({
              name: `svc-${s}`,
              status: 'OPERATIONAL',
              replicas: 3,
              readyReplicas: 3,
              slaGroup: 'load',
              workloadType: 'Deployment',
            })),
            slaGroups: [{ name: 'load', displayName: 'Load', tier: 'standard' }],
          },
          headers,
        ),
      );
    },
  },
  {
    name: 'telemetry',
    description: 'telemetry ingest, POST /api/v1/events/ingest, batches of 100 points, each with its own Idempotency-Key (ingestion API key)',
    expected: [202],
    prepare: async (world) => {
      const headers = { ...(await ingestionKey(world)), 'idempotency-key': '{{uuid}}' };
      const now = Date.now();
      return Array.from({ length: TEMPLATES }, (_, batch) =>
        json(
          'POST',
          '/api/v1/events/ingest',
          {
            agent_id: `load-agent-${batch}`,
            points: Array.from({ length: 100 }, (_, i) => ({
              service_id: `svc-${(batch * 7 + i) % 50}`,
              metric_name: `metric_${i % 10}`,
              value: (i * 37) % 100,
              timestamp: new Date(now - (i % 60) * 1000).toISOString(),
            })),
          },
          headers,
        ),
      );
    },
  },
  {
    name: 'alertmanager',
    description: 'the Alertmanager receiver, POST /api/v1/alerts/webhook?workspace=…, deliveries of 10 firing alerts with new fingerprints each',
    expected: [200],
    prepare: async (world) => {
      const headers: Record<string, string> = world.alertmanagerAuthorization ? { authorization: world.alertmanagerAuthorization } : {};
      // `{{seq}}` makes every delivery's fingerprints new: each alert opens an anomaly and an alert, not the duplicate path.
      const alerts = Array.from({ length: 10 }, (_, i) => ({
        status: 'firing',
        labels: { alertname: 'LoadTest', service_id: `svc-${i}`, severity: 'warning', instance: `node-{{seq}}-${i}` },
        annotations: { summary: 'load test' },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: `{{seq}}f${i}`,
      }));
      const body = {
        version: '4',
        groupKey: '{}:{alertname="LoadTest"}',
        truncatedAlerts: 0,
        status: 'firing',
        receiver: 'itops',
        groupLabels: { alertname: 'LoadTest' },
        commonLabels: { alertname: 'LoadTest' },
        commonAnnotations: {},
        externalURL: 'http://alertmanager:9093',
        alerts,
      };
      return [json('POST', `/api/v1/alerts/webhook?workspace=${encodeURIComponent(world.workspace)}`, body, headers)];
    },
  },
  {
    name: 'remote-write',
    description: 'Prometheus remote-write, POST /api/v1/write, snappy protobuf of 10 series x 10 samples (ingestion API key)',
    expected: [204, 200],
    prepare: async (world) => {
      const headers = {
        ...(await ingestionKey(world)),
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '0.1.0',
      };
      const now = Date.now();
      return Array.from({ length: TEMPLATES }, (_, batch) => {
        const series = Array.from({ length: 10 }, (_, s) => ({
          labels: { __name__: `load_metric_${s}`, job: 'load', instance: `node-${batch}` },
          samples: Array.from({ length: 10 }, (_, i): [number, number] => [i * s, now - (10 - i) * 1000]),
        }));
        return { method: 'POST', path: '/api/v1/write', headers, bodyBase64: Buffer.from(compress(writeRequest(series))).toString('base64') };
      });
    },
  },
  {
    name: 'github',
    description: 'the GitHub webhook, POST /api/v1/integrations/github/webhook?workspace=…, signed push deliveries (each a new delivery id)',
    expected: [200],
    prepare: async (world) => {
      const secret = randomUUID();
      await world.post('/api/v1/workspace/secrets/automation.github_webhook_secret', { value: secret }, { ...world.admin, 'idempotency-key': randomUUID() });
      return Array.from({ length: TEMPLATES }, (_, i) => {
        const body = JSON.stringify({
          ref: 'refs/heads/main',
          after: `${i}`.padStart(40, 'a'),
          repository: { full_name: 'example/load' },
          pusher: { name: 'load' },
          head_commit: { id: `${i}`.padStart(40, 'a'), message: `load ${i}`, timestamp: new Date().toISOString(), url: 'https://github.com/example/load' },
        });
        const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
        return json('POST', `/api/v1/integrations/github/webhook?workspace=${encodeURIComponent(world.workspace)}`, body, {
          'x-github-event': 'push',
          'x-github-delivery': '{{uuid}}',
          'x-hub-signature-256': signature,
        });
      });
    },
  },
];
