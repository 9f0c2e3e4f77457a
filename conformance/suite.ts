import { type Caller, checkBadInput } from './bad-input.ts';
import { type CheckContext, type CheckResult, checkOperation, checkUnknownPath, checkWrongMethod } from './checks.ts';
import { randomUUID } from 'node:crypto';
import { type JsonObject, listOperations, listPaths, resolveRef } from './contract-document.ts';
import { ConformanceClient, describeFetchError, parseJson } from './http-client.ts';
import { SchemaValidator } from './schema-validation.ts';
import { fuzz } from './fuzz.ts';
import { inOrder } from './in-order.ts';
import { sweepTenants } from './tenant-sweep.ts';

export const CONTRACT_PATH = '/api/v1/openapi';
const CONCURRENCY = 8;

export interface SuiteSummary {
  passed: number;
  failed: number;
  skipped: number;
}

export function formatResult(check: CheckResult): string {
  return `${check.outcome.padEnd(4)} ${check.subject} ${check.check}: ${check.detail}`;
}

async function fetchContract(client: ConformanceClient): Promise<JsonObject | string> {
  try {
    const response = await client.send({ method: 'GET', path: CONTRACT_PATH });
    if (response.status !== 200) return `GET ${CONTRACT_PATH} answered ${response.status}`;
    const { value, error } = parseJson(response.text);
    if (error) return `GET ${CONTRACT_PATH} did not answer JSON: ${error}`;
    const document = value as JsonObject;
    if (typeof document?.openapi !== 'string' || !document.openapi.startsWith('3.1'))
      return `not an OpenAPI 3.1 document (openapi: ${JSON.stringify(document?.openapi)})`;
    if (!document.paths || typeof document.paths !== 'object') return 'the document has no paths';
    return document;
  } catch (error) {
    return `GET ${CONTRACT_PATH} failed: ${describeFetchError(error)}`;
  }
}

export interface Credentials {
  email: string;
  password: string;
}

const WORKSPACE = 'conformance';

async function postJson(client: ConformanceClient, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await client.send({ method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, value: parseJson(response.text).value as JsonObject | undefined, text: response.text };
}

/**
 * With a platform admin's credentials, the bad-input checks run as a workspace admin of a workspace
 * of their own (falling back to the platform admin for platform operations), so bad input gets past
 * authorization to validation. Without, they run anonymously (public operations still validate).
 */
async function callerFor(client: ConformanceClient, credentials: Credentials | undefined): Promise<Caller | string> {
  if (!credentials) return { headers: {} };
  const admin = await postJson(client, '/api/v1/auth/login', credentials);
  if (admin.status !== 200 || typeof admin.value?.token !== 'string') return `login of ${credentials.email} answered ${admin.status}: ${admin.text}`;
  const platform = { authorization: `Bearer ${admin.value.token}` };
  const workspace = await postJson(client, '/api/v1/tenants', { tenant_id: WORKSPACE, name: 'Conformance' }, platform);
  if (workspace.status !== 201 && workspace.status !== 409) return `creating workspace ${WORKSPACE} answered ${workspace.status}: ${workspace.text}`;
  const member = { email: `conformance-${Date.now()}@example.com`, password: `conformance-${randomUUID()}` };
  const user = await postJson(client, '/api/v1/users', { ...member, memberships: [{ tenantId: WORKSPACE, role: 'msp_admin' }] }, platform);
  if (user.status !== 201) return `creating a workspace admin answered ${user.status}: ${user.text}`;
  const login = await postJson(client, '/api/v1/auth/login', member);
  if (login.status !== 200 || typeof login.value?.token !== 'string') return `login of the workspace admin answered ${login.status}: ${login.text}`;
  return { headers: { authorization: `Bearer ${login.value.token}`, 'x-workspace-id': WORKSPACE }, fallback: { headers: platform } };
}

/** Checks the server at `baseUrl` against the contract it serves; prints one line per check. */
export async function runConformance(
  baseUrl: string,
  print: (line: string) => void = console.log,
  credentials?: Credentials,
  options: { fuzzRequests?: number; fuzzSeed?: number; fuzzOnly?: RegExp; sweep?: boolean } = {},
): Promise<SuiteSummary> {
  const summary: SuiteSummary = { passed: 0, failed: 0, skipped: 0 };
  const report = (checks: CheckResult[]) => {
    for (const check of checks) {
      print(formatResult(check));
      if (check.outcome === 'ok') summary.passed++;
      else if (check.outcome === 'FAIL') summary.failed++;
      else summary.skipped++;
    }
  };

  const client = new ConformanceClient(baseUrl);
  const document = await fetchContract(client);
  if (typeof document === 'string') {
    report([{ outcome: 'FAIL', subject: '(server)', check: 'contract document', detail: document }]);
    return summary;
  }
  const operations = listOperations(document);
  const operationIdCounts = new Map<string, number>();
  for (const { operationId } of operations) if (operationId) operationIdCounts.set(operationId, (operationIdCounts.get(operationId) ?? 0) + 1);
  report([{ outcome: 'ok', subject: '(server)', check: 'contract document', detail: `OpenAPI ${document.openapi}, ${operations.length} operations` }]);

  const context: CheckContext = {
    client,
    validator: new SchemaValidator(document),
    resolve: (schema) => resolveRef(document, schema),
    operationIdCounts,
  };
  // A check that throws (a schema ajv cannot compile, say) fails itself, not the run.
  const guarded = (subject: string, run: () => Promise<CheckResult[]>) => () =>
    run().catch((error: Error): CheckResult[] => [{ outcome: 'FAIL', subject, check: 'checks', detail: `the suite could not check it: ${error.message}` }]);
  const caller = await callerFor(client, credentials).catch((error: Error) => `signing in failed: ${describeFetchError(error)}`);
  if (typeof caller === 'string') {
    report([{ outcome: 'FAIL', subject: '(server)', check: 'sign in', detail: caller }]);
    return summary;
  }
  const anonymous: Caller = { headers: {} };
  const tasks = [
    guarded('(server)', () => checkUnknownPath(context)),
    ...operations.map((operation) => guarded(operation.label, () => checkOperation(operation, context))),
    ...operations.map((operation) => guarded(operation.label, () => checkBadInput(operation, context, operation.isPublic ? anonymous : caller))),
    ...listPaths(operations).map((entry) => guarded(entry.path, async () => [await checkWrongMethod(entry, operations, context)])),
  ];
  for (const checks of await inOrder(tasks, CONCURRENCY)) report(checks);
  // The cross-tenant sweep needs a platform admin to make its two workspaces.
  if (caller.fallback && options.sweep !== false) {
    const subject = '(sweep)';
    report(await guarded(subject, () => sweepTenants(operations, context, caller.fallback!.headers))());
  }
  if (options.fuzzRequests) {
    const started = Date.now();
    const fuzzed = await fuzz(operations, context, caller, { total: options.fuzzRequests, seed: options.fuzzSeed, only: options.fuzzOnly });
    const statuses = Object.entries(fuzzed.byStatus)
      .map(([status, count]) => `${status}: ${count}`)
      .join(', ');
    report([
      {
        outcome: fuzzed.failures.length === 0 ? 'ok' : 'FAIL',
        subject: '(server)',
        check: 'fuzz',
        detail: `${fuzzed.sent} generated requests in ${((Date.now() - started) / 1000).toFixed(0)} s (${statuses}); ${fuzzed.failures.length} wrong answers`,
      },
      ...fuzzed.failures.map((detail): CheckResult => ({ outcome: 'FAIL', subject: '(fuzz)', check: 'answer', detail })),
    ]);
  }
  return summary;
}
