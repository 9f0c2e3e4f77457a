import { rawBodyProblem } from '../http/raw-body.ts';
import { operationsOf } from './contract-document.ts';

const permissionPattern = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*:[a-z][a-z0-9_]*$/;
const bodyMethods = new Set(['post', 'put', 'patch']);

/**
 * The house rules every operation must meet before it is served: an operationId, a permission or
 * an explicit public marker (never both), a success response with a schema, documented errors, and
 * permission names that some manifest actually declared.
 */
function requestBodyOf(document: { components?: Record<string, any> }, operation: Record<string, any>): Record<string, any> | undefined {
  const ref = operation.requestBody?.$ref as string | undefined;
  if (!ref) return operation.requestBody;
  return ref.startsWith('#/components/requestBodies/') ? document.components?.requestBodies?.[ref.slice(27)] : undefined;
}

export function checkOperationRules(
  document: { paths?: Record<string, Record<string, any>>; components?: Record<string, any> },
  owner: string,
  knownPermissions: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  for (const { path, method, operation } of operationsOf(document)) {
    const where = `${owner}: ${method.toUpperCase()} ${path}`;
    if (!operation.operationId) problems.push(`${where} has no operationId`);
    const permission = operation['x-permission'];
    const isPublic = operation['x-public'] === true;
    if (!permission && !isPublic) problems.push(`${where} declares neither x-permission nor x-public: true`);
    if (permission && isPublic) problems.push(`${where} declares both x-permission and x-public`);
    if (permission && !permissionPattern.test(permission)) problems.push(`${where} has x-permission "${permission}"; expected resource:action`);
    if (permission && permissionPattern.test(permission) && !knownPermissions.has(permission)) {
      problems.push(`${where} requires permission "${permission}", which no manifest declares`);
    }
    const responses = Object.entries(operation.responses ?? {});
    const success = responses.filter(([code]) => /^2\d\d$/.test(code));
    if (success.length === 0) problems.push(`${where} documents no 2xx response`);
    for (const [code, response] of success) {
      if (code !== '204' && !(response as any)?.content && !(response as any)?.$ref) problems.push(`${where} response ${code} has no content schema`);
    }
    if (!isPublic) {
      for (const code of ['401', '403']) if (!operation.responses?.[code]) problems.push(`${where} does not document ${code}`);
    }
    if ((operation.parameters?.length || operation.requestBody) && !operation.responses?.['400']) {
      problems.push(`${where} takes input but does not document 400`);
    }
    const idempotency = operation['x-idempotency'];
    if (idempotency !== undefined && idempotency !== 'required' && idempotency !== 'optional')
      problems.push(`${where} has x-idempotency "${idempotency}"; expected required or optional`);
    if (idempotency === 'required' && !['post', 'put', 'patch', 'delete'].includes(method))
      problems.push(`${where} requires an Idempotency-Key on a method that does not change anything`);
    const rawBody = rawBodyProblem(operation['x-raw-body']);
    if (rawBody) problems.push(`${where}: ${rawBody}`);
    if (operation['x-raw-body'] && Object.keys(requestBodyOf(document, operation)?.content ?? {}).join() !== '*/*')
      problems.push(`${where} reads its own body (x-raw-body), so its requestBody must declare exactly the media type */*`);
    if (bodyMethods.has(method) && operation.requestBody && !operation.requestBody.content && !operation.requestBody.$ref) {
      problems.push(`${where} has a requestBody without content`);
    }
  }
  return problems;
}
