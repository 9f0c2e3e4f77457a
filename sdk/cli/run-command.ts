import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ItopsClient } from '../client.ts';
import { ping } from '../pings.ts';
import { randomId } from '../transport.ts';

export interface RunOptions {
  client: ItopsClient;
  /** The heartbeat's ping uuid. */
  uuid: string;
  /** The command and its arguments. */
  command: string[];
  /** How much of the end of the output goes with the final ping. Default 10 000 bytes (what the server keeps). */
  tailBytes?: number;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Told when a ping could not be delivered even after its retries; the command's result stands. */
  warn?: (message: string) => void;
}

export interface RunResult {
  /** The command's exit code; 128 + signal number when a signal ended it; 127 when it could not start. */
  exitCode: number;
  signal?: string;
  durationMs: number;
  rid: string;
  /** Whether the start and the final ping were delivered. */
  startPinged: boolean;
  pinged: boolean;
}

/**
 * Runs a command as a monitored job, as runitor does for Healthchecks: pings `/start`, runs the
 * command with its output passed through, then pings its exit code with the last `tailBytes` of the
 * output (stdout and stderr as they interleaved) as the body. Both pings carry one run id, so
 * overlapping runs pair up. The pings retry (the client's retries) so that a network blip does not
 * turn a good run into a missed one; a ping that still fails is reported and does not change the
 * exit code.
 */
export async function runMonitored(options: RunOptions): Promise<RunResult> {
  const { client, uuid } = options;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const warn = options.warn ?? ((message: string) => stderr.write(`itops: ${message}\n`));
  const tail = new OutputTail(options.tailBytes ?? 10_000);
  const rid = randomId();
  const started = Date.now();

  const startPinged = await ping(client, uuid, { kind: 'start', rid }).then(
    () => true,
    (error: unknown) => {
      warn(`start ping failed: ${(error as Error).message}`);
      return false;
    },
  );

  const [command, ...args] = options.command;
  const outcome = await new Promise<{ exitCode: number; signal?: string }>((resolve) => {
    const child = spawn(command, args, { stdio: ['inherit', 'pipe', 'pipe'] });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const signal of signals) process.on(signal, forward);
    const done = (result: { exitCode: number; signal?: string }) => {
      for (const signal of signals) process.off(signal, forward);
      resolve(result);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.write(chunk);
      tail.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.write(chunk);
      tail.push(chunk);
    });
    child.on('error', (error) => {
      const message = `itops: could not run ${command}: ${error.message}\n`;
      stderr.write(message);
      tail.push(Buffer.from(message));
      done({ exitCode: 127 });
    });
    child.on('close', (code, signal) => {
      if (signal) done({ exitCode: 128 + (constants.signals[signal] ?? 0), signal });
      else done({ exitCode: code ?? 1 });
    });
  });

  const pinged = await ping(client, uuid, { kind: outcome.exitCode, rid, body: tail.bytes() }).then(
    () => true,
    (error: unknown) => {
      warn(`exit code ping failed: ${(error as Error).message}`);
      return false;
    },
  );
  return { ...outcome, durationMs: Date.now() - started, rid, startPinged, pinged };
}

/** The last `limit` bytes of a stream of chunks, without keeping the rest. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0].length >= this.limit) this.size -= this.chunks.shift()!.length;
  }

  /** The kept bytes, starting on a character boundary (a cut UTF-8 sequence at the start is dropped). */
  bytes(): Uint8Array {
    let all = Buffer.concat(this.chunks);
    if (all.length > this.limit) all = all.subarray(all.length - this.limit);
    let start = 0;
    while (start < all.length && start < 3 && (all[start] & 0xc0) === 0x80) start++;
    return new Uint8Array(all.subarray(start));
  }
}
