import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AppError, type JsonSchema, type PluginLogger, type SchemaValidator } from '../../../core/plugin-api/index.ts';
import { type AlertmanagerDeps, type AlertmanagerPayload, ingestAlertmanager, workspaceOf } from './alertmanager-ingest.ts';
import { presentedSecret } from './receiver-credential.ts';

const statusOf: Record<string, number> = { validation_failed: 400, invalid_json: 400, unauthorized: 401, not_found: 404, payload_too_large: 413 };
const maxBody = 10 * 1024 * 1024;

/**
 * The second listener (port 9093 by default, where Alertmanager setups send): one route,
 * `POST /api/v1/alerts/webhook`, validated against the same contract schema and answered by the same
 * ingest as the main port, with the platform's error format.
 */
export function startAlertmanagerListener(options: {
  port: number;
  host?: string;
  deps: AlertmanagerDeps;
  validator: SchemaValidator;
  schema: JsonSchema;
  logger: PluginLogger;
}): Promise<Server> {
  const server = createServer((req, res) => {
    handle(req, res, options).catch((error) => {
      options.logger.error({ err: error }, 'alertmanager listener failed');
      if (!res.headersSent) send(res, 500, { error: { code: 'internal', message: 'Internal error', correlationId: randomUUID() } });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new AppError('payload_too_large', 'The body is larger than the receiver accepts');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function handle(req: IncomingMessage, res: ServerResponse, options: Parameters<typeof startAlertmanagerListener>[0]) {
  const correlationId = randomUUID();
  const url = new URL(req.url ?? '/', 'http://receiver');
  if (url.pathname !== '/api/v1/alerts/webhook')
    return send(res, 404, { error: { code: 'not_found', message: `No operation matches ${req.method} ${url.pathname}`, correlationId } });
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return send(res, 405, { error: { code: 'method_not_allowed', message: 'Only POST', correlationId } });
  }
  try {
    const raw = await readBody(req);
    let payload: AlertmanagerPayload;
    const text = raw.toString('utf8');
    // As the main port's input checks do: NUL (which PostgreSQL cannot store) and lone surrogates are refused.
    if (text.includes('\u0000') || /\\u0000/.test(text) || /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i.test(text)) {
      throw new AppError('validation_failed', 'The body holds a NUL character or a lone surrogate');
    }
    try {
      payload = JSON.parse(text);
    } catch {
      throw new AppError('invalid_json', 'The body is not valid JSON');
    }
    options.validator.assert(options.schema, payload);
    const tenantId = workspaceOf(payload, url.searchParams.get('workspace') ?? undefined, req.headers['x-workspace-id'] as string | undefined);
    send(res, 200, await ingestAlertmanager(options.deps, tenantId, payload, presentedSecret(req.headers.authorization)));
  } catch (error) {
    if (error instanceof AppError) {
      const e = error;
      return send(res, statusOf[e.code] ?? 400, { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}), correlationId } });
    }
    throw error;
  }
}
