/**
 * Runs inside each Piscina worker thread. Task modules are pure functions of their input, so a
 * worker only needs to import the module once and call the named export.
 */
const loaded = new Map<string, Record<string, unknown>>();

export interface WorkerCall {
  module: string;
  export: string;
  input: unknown;
}

export default async function runTask(call: WorkerCall): Promise<unknown> {
  let mod = loaded.get(call.module);
  if (!mod) {
    mod = (await import(call.module)) as Record<string, unknown>;
    loaded.set(call.module, mod);
  }
  const fn = mod[call.export];
  if (typeof fn !== 'function') throw new Error(`worker module ${call.module} has no function export "${call.export}"`);
  return fn(call.input);
}
