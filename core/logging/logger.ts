import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; secrets that may appear in request logs are redacted at the source. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'itops' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
  });
}
