/**
 * Runs inside each Piscina worker thread. Task modules are pure functions of their input, so a
 * worker only needs to import the module once and call the named export.
 */
import { Piscina } from 'piscina';
import { topLevelBuffers } from './worker-transfer.ts';

const loaded = new Map<string, Record<string, unknown>>();

export interface WorkerCall {
  module: string;
  export: string;
  input: unknown;
  /** The output's top-level typed arrays move back to the caller instead of being copied. */
  transfer?: boolean;
}

export default async function runTask(call: WorkerCall): Promise<unknown> {
  let mod = loaded.get(call.module);
  if (!mod) {
    mod = (await import(call.module)) as Record<string, unknown>;
    loaded.set(call.module, mod);
  }
  const fn = mod[call.export];
  if (typeof fn !== 'function') throw new Error(`worker module ${call.module} has no function export "${call.export}"`);
  const output = await fn(call.input);
  if (!call.transfer) return output;
  const buffers = topLevelBuffers(output);
  return buffers.length === 0 ? output : Piscina.move({ [Piscina.transferableSymbol]: buffers, [Piscina.valueSymbol]: output } as never);
}
