/**
 * Test helpers for the aiops tests: a kernel with the aiops plugin on the acme/globex world of the
 * identity fixtures, an `ingestion` API key of acme (role endpoint_agent), and shorthands.
 * Imported by *.test.ts only.
 */
import { call } from '../../core/plugin-api/testing.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { startWorld } from '../../core/testing/identity-fixtures.ts';
import { type AiopsOptions, createAiopsPlugin } from './plugin.ts';

export { call, eventually };

export async function aiopsWorld(t: { teardown(fn: () => unknown): void }, options: AiopsOptions & { env?: Record<string, string> } = {}) {
  const world = await startWorld(t, { plugins: [createAiopsPlugin(options)], env: { ITOPS_AIOPS_ALERTMANAGER_PORT: '0', ...options.env } });
  const { kernel, acmeAdmin } = world;
  const key = await call(kernel, 'POST', '/api/v1/apikeys', {
    headers: acmeAdmin.headers,
    body: { name: 'edge agent', scope: 'ingestion', rate_limit_rps: 10000 },
  });
  if (key.status !== 201) throw new Error(`api key: ${key.status} ${key.text}`);
  const agent = { headers: { 'x-api-key': key.json.api_key as string } };
  let sequence = 0;
  const ingest = async (body: unknown, headers: Record<string, string> = agent.headers, idempotencyKey = `batch-${++sequence}`) =>
    call(kernel, 'POST', '/api/v1/events/ingest', { headers: { ...headers, 'idempotency-key': idempotencyKey }, body });
  return { ...world, agent, ingest };
}
