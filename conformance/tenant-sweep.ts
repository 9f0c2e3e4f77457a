import { randomBytes, randomUUID } from 'node:crypto';
import type { Caller } from './bad-input.ts';
import { type CheckContext, type CheckResult, errorFormatProblem, summary } from './checks.ts';
import { type ContractOperation, isJsonMediaType, type JsonObject } from './contract-document.ts';
import { describeFetchError, parseJson, type ReceivedResponse } from './http-client.ts';
import { inOrder } from './in-order.ts';
import { fillPaths, homeOf, pathCandidates, type WorkspaceIds } from './sweep-ids.ts';
import { createObjectsOfA, sampleRequest, send, withFreshIdempotencyKey } from './sweep-objects.ts';
import { sweepPrincipals } from './sweep-principals.ts';

/**
 * The cross-tenant sweep (issue 22): objects made in workspace A, then every operation whose path
 * has a parameter called by workspace B's admin and by B's admin API key with A's ids. Each must
 * answer 404 in the standard error format: a 2xx, or any of A's ids or A's marker in the body, is a
 * leak. Every list B can read must not show any of A's ids either, and afterwards A re-reads its
 * objects to see that nothing B sent changed them. Public operations (pings, the status page) are
 * not swept: they have no workspace principal, their ids are the capability.
 */

const CONCURRENCY = 8;
/** A's objects per operation when its own home has them; every home's first object otherwise. */
const IDS_PER_OPERATION = 1;
const FALLBACK_IDS = 3;
/** Fields that move on their own (clocks, schedules, counters of background work), not because of a request. */
const VOLATILE = /(At|_at|Time|_time|[Ll]ast[A-Z_].*|[Nn]ext[A-Z_].*|[Aa]ge|[Uu]ptime|[Dd]uration|[Rr]emaining|[Ee]xpires.*|[Cc]ount|[Ss]tatus|[Ss]tate)$/;

interface Tally {
  swept: number;
  ownHome: number;
  requests: number;
  leaks: string[];
  refused: number;
  wrongAnswers: string[];
  unsweepable: string[];
}

const enumOf = (context: CheckContext) => (parameter: { schema: JsonObject }) => {
  const schema = context.resolve(parameter.schema);
  return Array.isArray(schema.enum) ? schema.enum : undefined;
};

/**
 * A write that creates the object its path names (`POST /workspace/secrets/{key}`): B may create its
 * own object by any name, A's included, as long as it does not reach A's and shows nothing of it.
 */
const isUpsert = (operation: ContractOperation) => operation.path.endsWith('}') && operation.method !== 'GET' && operation.responses['201'] !== undefined;

/** The leaked values and where the first one sits in the body, to tell a real leak from a coincidence. */
function shown(text: string, leaked: string[]): string {
  const at = text.indexOf(leaked[0]!);
  return `${leaked.slice(0, 3).join(', ')} in …${text.slice(Math.max(0, at - 160), at + leaked[0]!.length + 80)}…`;
}

/** What is wrong with B's answer to a request carrying A's ids: a leak, or an answer other than the documented 404. */
function judge(
  response: ReceivedResponse,
  sameAsMissing: { status: number; code?: string } | undefined,
  sent: string,
  ids: WorkspaceIds,
  context: CheckContext,
  tally: Tally,
  label: string,
  who: string,
  upsert: boolean,
) {
  const leaked = ids.leakedIn(response.text, sent);
  const what = `${label} as ${who}: ${summary(response)}`;
  if (response.status >= 200 && response.status < 300 && !upsert)
    return void tally.leaks.push(`${what}: answered ${response.status} to another workspace's id`);
  if (leaked.length > 0) return void tally.leaks.push(`${what}: the body shows A's ${shown(response.text, leaked)}`);
  if (upsert && response.status < 300) return;
  const format = response.status >= 400 ? errorFormatProblem(response, context) : undefined;
  if (format) return void tally.wrongAnswers.push(`${what}: ${format}`);
  if (response.status === 404) return;
  // Refused before any lookup (a permission B's principals lack, a body checked first): fine when
  // an id that exists nowhere gets the very same answer, so the answer says nothing about A's object.
  if (sameAsMissing !== undefined && sameAsMissing.status === response.status && sameAsMissing.code === errorCode(response)) {
    tally.refused++;
    return;
  }
  tally.wrongAnswers.push(
    `${what}: expected 404 (an id that exists nowhere got ${sameAsMissing ? `${sameAsMissing.status} ${sameAsMissing.code}` : 'no answer'})`,
  );
}

function errorCode(response: ReceivedResponse): string | undefined {
  return (parseJson(response.text).value as { error?: { code?: string } } | undefined)?.error?.code;
}

/** The operation's path with every id parameter set to one that exists nowhere (enum words kept). */
function missingPath(operation: ContractOperation, context: CheckContext, values: Map<string, unknown[]>): string {
  let path = operation.path;
  for (const parameter of operation.parameters.filter((p) => p.in === 'path')) {
    const fixed = enumOf(context)(parameter);
    const options = fixed ? [fixed[0]] : [randomUUID(), `missing${randomBytes(6).toString('hex')}`, 2_000_000_000, values.get(parameter.name)?.[0]];
    const value = options.find((option) => option !== undefined && context.validator.accepts(parameter.schema, option));
    path = path.replaceAll(`{${parameter.name}}`, encodeURIComponent(String(value)));
  }
  return path;
}

async function sweepOperation(
  operation: ContractOperation,
  context: CheckContext,
  ids: WorkspaceIds,
  intruders: { name: string; caller: Caller }[],
  tally: Tally,
) {
  const candidates = pathCandidates(operation, ids, (p, v) => context.validator.accepts(p.schema, v), enumOf(context));
  if (!candidates) return void tally.unsweepable.push(`${operation.label}: none of A's ids fits its path parameters`);
  const built = sampleRequest(operation, context);
  if ('skip' in built) return void tally.unsweepable.push(`${operation.label}: ${built.skip}`);
  tally.swept++;
  if (candidates.ownHome) tally.ownHome++;
  const paths = fillPaths(operation.path, candidates.values, candidates.ownHome ? IDS_PER_OPERATION : FALLBACK_IDS);
  for (const { name, caller } of intruders) {
    const request = (path: string) => withFreshIdempotencyKey({ ...built.request, path, headers: { ...caller.headers, ...built.request.headers } });
    let missing: { status: number; code?: string } | undefined;
    for (const { path, sent } of paths) {
      tally.requests++;
      try {
        const response = await context.client.send(request(path));
        if (response.status !== 404 && missing === undefined) {
          tally.requests++;
          const answer = await context.client.send(request(missingPath(operation, context, candidates.values)));
          missing = { status: answer.status, code: errorCode(answer) };
        }
        judge(response, missing, sent, ids, context, tally, operation.label, name, isUpsert(operation));
      } catch (error) {
        tally.wrongAnswers.push(`${operation.label} as ${name}: ${operation.method} ${path} failed: ${describeFetchError(error)}`);
      }
    }
  }
}

async function listsOfB(
  operations: ContractOperation[],
  context: CheckContext,
  ids: WorkspaceIds,
  intruders: { name: string; caller: Caller }[],
  tally: Tally,
) {
  const lists = operations.filter((op) => op.method === 'GET' && !op.isPublic && !op.path.includes('{'));
  await inOrder(
    lists.flatMap((operation) =>
      intruders.map(({ name, caller }) => async () => {
        const built = sampleRequest(operation, context);
        if ('skip' in built) return;
        tally.requests++;
        const response = await context.client.send({ ...built.request, headers: { ...caller.headers, ...built.request.headers } }).catch((error: Error) => {
          tally.wrongAnswers.push(`${operation.label} as ${name}: GET ${operation.path} failed: ${describeFetchError(error)}`);
          return undefined;
        });
        if (!response) return;
        const leaked = ids.leakedIn(response.text, '');
        if (leaked.length > 0) tally.leaks.push(`${operation.label} as ${name}: ${summary(response)}: the list shows A's ${shown(response.text, leaked)}`);
      }),
    ),
    CONCURRENCY,
  );
  return lists.length;
}

/** The stable part of an answer, for telling whether an object changed. */
function stable(text: string): string {
  const { value } = parseJson(text);
  const strip = (current: unknown): unknown => {
    if (Array.isArray(current)) return current.map(strip);
    if (!current || typeof current !== 'object') return current;
    return Object.fromEntries(
      Object.entries(current)
        .filter(([key]) => !VOLATILE.test(key))
        .map(([key, v]) => [key, strip(v)]),
    );
  };
  return JSON.stringify(strip(value));
}

/** A's objects as A reads them through every GET of one object: path to its stable answer. */
async function readAsA(operations: ContractOperation[], context: CheckContext, ids: WorkspaceIds, adminA: Caller): Promise<Map<string, string>> {
  const reads = new Map<string, string>();
  const gets = operations.filter((op) => op.method === 'GET' && !op.isPublic && op.path.endsWith('}'));
  await inOrder(
    gets.map((operation) => async () => {
      const built = sampleRequest(operation, context);
      if ('skip' in built) return;
      let path = operation.path;
      for (const parameter of operation.parameters.filter((p) => p.in === 'path')) {
        const id = ids.byHome.get(homeOf(operation.path, parameter.name))?.[0];
        if (id === undefined) return;
        path = path.replaceAll(`{${parameter.name}}`, encodeURIComponent(String(id)));
      }
      const response = await send(context, { headers: adminA.headers }, { ...built.request, path }).catch(() => undefined);
      if (response?.status === 200 && isJsonMediaType(response.mediaType)) reads.set(`${operation.label} ${path}`, stable(response.text));
    }),
    CONCURRENCY,
  );
  return reads;
}

export async function sweepTenants(operations: ContractOperation[], context: CheckContext, platform: Record<string, string>): Promise<CheckResult[]> {
  const started = Date.now();
  const results: CheckResult[] = [];
  const principals = await sweepPrincipals(context.client, platform);
  const marker = `sweepmark${randomBytes(6).toString('hex')}`;
  const objects = await createObjectsOfA(operations, context, principals.adminA, principals.workspaceA, marker, principals.shared);
  const objectCount = [...objects.ids.byHome.values()].reduce((sum, list) => sum + list.length, 0);
  results.push({
    outcome: 'ok',
    subject: '(sweep)',
    check: 'objects of A',
    detail: `${objects.created.length} create operations made objects in ${principals.workspaceA}; ${objectCount} ids in ${objects.ids.byHome.size} collections, ${objects.ids.secrets.size} values to look for`,
  });
  for (const line of objects.notCreated) results.push({ outcome: 'skip', subject: '(sweep)', check: 'not created', detail: line });

  const before = await readAsA(operations, context, objects.ids, principals.adminA);
  const tally: Tally = { swept: 0, ownHome: 0, requests: 0, leaks: [], refused: 0, wrongAnswers: [], unsweepable: [] };
  const withIds = operations.filter((op) => !op.isPublic && op.method !== 'OPTIONS' && op.parameters.some((p) => p.in === 'path'));
  const sweep = (list: ContractOperation[]) =>
    inOrder(
      list.map((operation) => () => sweepOperation(operation, context, objects.ids, principals.intruders, tally)),
      CONCURRENCY,
    );
  await sweep(withIds.filter((op) => !isUpsert(op)));
  const lists = await listsOfB(operations, context, objects.ids, principals.intruders, tally);
  // Last, so B's own objects named like A's (which then rightly show in B's lists) do not count as leaks.
  await sweep(withIds.filter(isUpsert));
  const after = await readAsA(operations, context, objects.ids, principals.adminA);
  const changed = [...before].filter(([path, body]) => after.get(path) !== body).map(([path]) => path);

  for (const line of tally.unsweepable) results.push({ outcome: 'skip', subject: '(sweep)', check: 'not swept', detail: line });
  for (const line of tally.wrongAnswers) results.push({ outcome: 'FAIL', subject: '(sweep)', check: 'answer to another workspace', detail: line });
  for (const line of tally.leaks) results.push({ outcome: 'FAIL', subject: '(sweep)', check: 'leak', detail: line });
  for (const path of changed) results.push({ outcome: 'FAIL', subject: '(sweep)', check: 'A changed', detail: `${path} reads differently after B's requests` });
  results.push({
    outcome: tally.leaks.length === 0 && changed.length === 0 ? 'ok' : 'FAIL',
    subject: '(sweep)',
    check: 'cross-tenant',
    detail:
      `${tally.swept} of ${withIds.length} operations with ids swept (${tally.ownHome} with an object of their own collection) and ${lists} lists read, ` +
      `as ${principals.intruders.length} principals of ${principals.workspaceB}: ${tally.requests} requests, ${tally.leaks.length} leaks, ` +
      `${tally.refused} refused as for a missing id, ${tally.wrongAnswers.length} other answers than 404; ${before.size} of A's objects re-read, ${changed.length} changed (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  });
  return results;
}
