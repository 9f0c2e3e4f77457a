import { setTimeout as sleep } from 'node:timers/promises';
import type { CapabilityDeclaration } from '../../../core/plugin-api/index.ts';

/**
 * `automation.echo`: answers its message back after an optional delay. What an operator (and the
 * smoke test) runs to check the execution path end to end without touching anything.
 */
export const echoCapability: CapabilityDeclaration<{ message: string; delayMs?: number; fail?: boolean }> = {
  name: 'automation.echo',
  description: 'Answers the message back after delayMs; with fail: true it fails instead (to try failure handling).',
  retrySafe: true,
  inputSchema: {
    type: 'object',
    required: ['message'],
    additionalProperties: false,
    properties: {
      message: { type: 'string', maxLength: 1000 },
      delayMs: { type: 'integer', minimum: 0, maximum: 60_000 },
      fail: { type: 'boolean' },
    },
  },
  async handler(input, context) {
    if (input.delayMs) await sleep(input.delayMs, undefined, { signal: context.signal });
    if (input.fail) throw new Error(`echo asked to fail: ${input.message}`);
    return { message: input.message, runId: context.runId, echoedAt: new Date().toISOString() };
  },
};
