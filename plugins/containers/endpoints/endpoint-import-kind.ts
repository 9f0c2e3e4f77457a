import { AppError, type ImportKindDeclaration, readInPages, type Tx } from '../../../core/plugin-api/index.ts';
import type { CheckAddressPolicy } from './endpoint-address-policy.ts';
import { type EndpointInput, type EndpointRow, endpointColumns, endpointView, redacted } from './endpoint-rows.ts';
import { insertEndpoint, syncDerivedCertificates, updateEndpointRow } from './endpoint-store.ts';

const rowSchema = {
  type: 'object',
  required: ['name', 'url'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'Identifies the endpoint: a row naming an existing one updates it.' },
    description: { type: ['string', 'null'], maxLength: 2000 },
    tags: { type: 'array', maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 64 } },
    url: { type: 'string', minLength: 1, maxLength: 2048 },
    method: { type: 'string', enum: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] },
    expectedStatus: { type: 'string', maxLength: 100 },
    keyword: { type: ['string', 'null'], maxLength: 1000 },
    invertKeyword: { type: 'boolean' },
    headers: {
      type: 'object',
      maxProperties: 50,
      additionalProperties: { type: 'string', maxLength: 4096 },
      description: `Exports show sensitive values (authorization, tokens, cookies) as ${redacted}; importing ${redacted} keeps the stored value.`,
    },
    body: { type: ['string', 'null'], maxLength: 65536 },
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 300 },
    intervalSeconds: { type: 'integer', minimum: 2, maximum: 86400 },
    failureThreshold: { type: 'integer', minimum: 1, maximum: 100 },
    followRedirects: { type: 'boolean' },
    ignoreTlsErrors: { type: 'boolean' },
    monitorCertificate: { type: 'boolean' },
    enabled: { type: 'boolean' },
  },
};

/**
 * Imports create or update endpoints by name; the address a URL names is judged when the endpoint
 * is checked (the check resolves it and applies the workspace's private-network policy there), so
 * an import accepts what a check may later refuse, and the refusal shows on the endpoint.
 */
const importPolicy: CheckAddressPolicy = { privateNetworks: [], hostAllowlist: [], allowPrivate: true };

/** Endpoint monitors as an import kind (label-managed endpoints follow their containers and are refused). */
export const endpointImportKind: ImportKindDeclaration<EndpointInput & Record<string, unknown>> = {
  name: 'endpoints',
  description: 'HTTP(S) and TCP endpoint monitors, matched by name; sensitive header values are exported redacted.',
  rowSchema,
  async upsert(tx: Tx, rows) {
    const tenantId = tx.tenantId as string;
    const now = new Date();
    for (const input of rows) {
      const [current] = await tx.query<EndpointRow>('SELECT * FROM endpoint WHERE name = ? ORDER BY created_at LIMIT 1 FOR UPDATE', [
        String(input.name).trim(),
      ]);
      if (current && current.source !== 'api') {
        throw new AppError('conflict', `Endpoint ${current.name} follows its container's labels; change the labels instead`, {
          details: [{ path: '/name', message: 'is managed by container labels' }],
        });
      }
      const columns = endpointColumns(current, input, importPolicy, tenantId, '');
      if (current) await updateEndpointRow(tx.query, current, columns, now);
      else await insertEndpoint(tx.query, tenantId, columns, { source: 'api' }, now);
    }
    await syncDerivedCertificates(tx.query, tenantId, now);
  },
  async *read(tx) {
    for await (const page of readInPages<EndpointRow>(tx, "SELECT * FROM endpoint WHERE source = 'api' ORDER BY name, id")) {
      yield page.map((row) => {
        // The API's view (sensitive header values redacted), cut to the fields a row holds.
        const view = endpointView(row);
        const http =
          row.scheme === 'tcp'
            ? {}
            : {
                method: view.method,
                expectedStatus: view.expectedStatus,
                keyword: view.keyword,
                invertKeyword: view.invertKeyword,
                headers: view.headers,
                body: view.body,
                followRedirects: view.followRedirects,
                ignoreTlsErrors: view.ignoreTlsErrors,
                monitorCertificate: view.monitorCertificate,
              };
        return {
          name: view.name,
          description: view.description,
          tags: view.tags,
          url: view.url,
          ...http,
          timeoutSeconds: view.timeoutSeconds,
          intervalSeconds: view.intervalSeconds,
          failureThreshold: view.failureThreshold,
          enabled: view.enabled,
        };
      });
    }
  },
};
