import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../logging/logger.ts';
import { errorBody, AppError } from '../errors/app-error.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export interface SlowClientLimits {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxUnfinishedPerAddress: number;
}

/**
 * Options for `http.createServer`: Node checks the request and header deadlines on a timer, every
 * 30 s by default, so a short deadline gets a check interval to match.
 */
export function serverOptions(limits: SlowClientLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** Node reads keepAliveTimeout from the server object, not from createServer's options. */
export function applyKeepAlive(server: Server, limits: SlowClientLimits): void {
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
}

const hasBody = (req: IncomingMessage) => Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;

/**
 * A client that drips request bodies holds a connection and a request slot until the request
 * deadline; from one address, only so many such requests are accepted at once. A request counts
 * while its body is still arriving (until Node marks it `complete`); requests without a body, and
 * so open streams, are not limited.
 */
export function capUnfinishedRequests(listener: Listener, maxPerAddress: number): Listener {
  const arriving = new Map<string, Set<IncomingMessage>>();
  return (req, res) => {
    if (hasBody(req) && !req.complete) {
      const address = req.socket.remoteAddress ?? 'unknown';
      let requests = arriving.get(address);
      if (requests) {
        for (const other of requests) if (other.complete || other.destroyed) requests.delete(other);
      } else {
        requests = new Set();
        arriving.set(address, requests);
      }
      if (requests.size >= maxPerAddress) {
        const error = new AppError('rate_limited', `Too many requests from this address are still sending their body (at most ${maxPerAddress})`);
        res.writeHead(error.status, { 'content-type': 'application/json', connection: 'close', 'retry-after': '1' });
        res.end(JSON.stringify(errorBody(error, String(req.headers['x-correlation-id'] ?? ''))));
        req.socket.destroySoon();
        return;
      }
      requests.add(req);
      const settle = () => {
        requests.delete(req);
        if (requests.size === 0 && arriving.get(address) === requests) arriving.delete(address);
      };
      req.once('end', settle);
      req.once('close', settle);
    }
    listener(req, res);
  };
}

const clientErrorStatus: Record<string, number> = { HPE_HEADER_OVERFLOW: 431, HPE_CHUNK_EXTENSIONS_OVERFLOW: 413, ERR_HTTP_REQUEST_TIMEOUT: 408 };

/**
 * What Node does with a connection whose bytes are not HTTP or come too slowly (a bare status, then
 * the connection is closed), and a log line naming why: otherwise the client only sees its socket
 * close, and the server says nothing.
 */
export function logClientErrors(server: Server, logger: Logger): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    // A client that hangs up (ECONNRESET) is everyday; bytes that are not HTTP, or too slow, are worth a line.
    logger[error.code === 'ECONNRESET' ? 'debug' : 'info'](
      { code: error.code, reused: socket.bytesWritten > 0, answering: inFlight !== undefined },
      'closed a client connection: it hung up, sent what HTTP cannot parse, or was too slow',
    );
    // A response already under way would be corrupted by a second status line.
    if (socket.writable && !inFlight?.headersSent) {
      const status = clientErrorStatus[error.code ?? ''] ?? 400;
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
    }
    socket.destroy();
  });
}
