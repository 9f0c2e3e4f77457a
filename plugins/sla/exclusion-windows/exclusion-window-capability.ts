import type { CapabilityDeclaration, OperationRequest } from '../../../core/plugin-api/index.ts';
import type { exclusionWindowHandlers } from './exclusion-windows.ts';

interface OpenWindow {
  service: string;
  nodeId?: string;
  reason?: string;
  expectedEndAt?: string;
}

/**
 * `sla.open_exclusion_window`: what `POST /api/v1/sla/exclusion-window/start` does, as an agent
 * capability a workflow (or `POST /api/v1/execute/sla.open_exclusion_window`) can run before a
 * maintenance step. Same rules: one active window per service, an ambiguous name needs its node.
 */
export function openExclusionWindowCapability(windows: ReturnType<typeof exclusionWindowHandlers>): CapabilityDeclaration<OpenWindow> {
  return {
    name: 'sla.open_exclusion_window',
    description: "Open an exclusion (maintenance) window on a service: its time is left out of the service's SLA until it is stopped",
    inputSchema: {
      type: 'object',
      required: ['service'],
      additionalProperties: false,
      properties: {
        // As the operator API's SlaName and SlaNodeId.
        service: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' },
        nodeId: { type: 'string', minLength: 1, maxLength: 300, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$' },
        reason: { type: 'string', maxLength: 500 },
        expectedEndAt: { type: 'string', format: 'date-time', maxLength: 40 },
      },
    },
    async handler(input, context) {
      const answer = await windows.startExclusionWindow({ tenantId: context.tenantId, body: input } as OperationRequest<OpenWindow>);
      return (answer as { body?: unknown }).body ?? answer;
    },
  };
}
