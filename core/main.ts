import { ConfigError } from './config/config.ts';
import { LicenseError } from './license/license-token.ts';
import { Kernel } from './kernel/kernel.ts';
import { unsupportedNode } from './node-version.ts';

/** `npm start`: boot, print where we listen, stop gracefully on SIGTERM/SIGINT. */
const unsupported = unsupportedNode();
if (unsupported) {
  process.stderr.write(`${unsupported}\n`);
  process.exit(1);
}
try {
  const kernel = await Kernel.start();
  process.stdout.write(`itops is listening on ${kernel.publicUrl()} (API reference: ${kernel.publicUrl()}/docs)\n`);
  let signals = 0;
  const stop = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    kernel.logger.info({ signal }, 'shutting down');
    kernel.stop().then(
      () => process.exit(0),
      (error) => {
        kernel.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  const message =
    error instanceof ConfigError || error instanceof LicenseError ? error.message : `itops failed to start: ${(error as Error)?.stack ?? String(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
