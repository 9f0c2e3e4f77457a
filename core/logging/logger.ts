import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';

// Required when a pretty logger is made, not at import: servers log JSON, and every test process
// and node would otherwise load its 30 modules for nothing.
const require = createRequire(import.meta.url);

export type { Logger };

/**
 * JSON logs on stdout, one object a line, for log shippers; pretty, coloured lines (pino-pretty)
 * when stdout is a terminal, i.e. someone runs `npm start` and reads along. Secrets that may appear
 * in request logs are redacted at the source either way.
 */
export function createLogger(level: string, options: { pretty?: boolean; destination?: DestinationStream } = {}): Logger {
  const settings = {
    level,
    base: { service: 'itops' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
  };
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  if (!pretty) return options.destination ? pino(settings, options.destination) : pino(settings);
  // Synchronous, in this thread: nothing is lost when the process exits right after a message.
  const pinoPretty = require('pino-pretty') as typeof import('pino-pretty');
  const stream = pinoPretty({
    // Colours where the terminal supports them (pino-pretty's own check); none into a stream.
    ...(options.destination ? { colorize: false } : {}),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    sync: true,
    destination: options.destination ?? 1,
  });
  return pino(settings, stream);
}
