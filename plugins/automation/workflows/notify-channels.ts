import { AppError, type NotificationChannelsService, type Tx } from '../../../core/plugin-api/index.ts';
import type { WorkflowStep } from './workflow-definition.ts';

/**
 * NOTIFY steps name a notification channel of the workspace by id: checked when a workflow is saved
 * (through the API or a templates import), so a typo is a 400 then rather than a failed step later.
 * `path` turns a step's index into the detail's path in the caller's terms.
 */
export async function checkNotifyChannels(
  tx: Tx,
  channels: NotificationChannelsService,
  steps: WorkflowStep[],
  path: (index: number) => string = (index) => `steps[${index}].channel`,
): Promise<void> {
  const problems: { path: string; message: string }[] = [];
  for (const [index, step] of steps.entries()) {
    if (step.type !== 'NOTIFY' || step.channel === undefined) continue;
    if (!(await channels.find(tx, step.channel))) problems.push({ path: path(index), message: `no notification channel ${step.channel} in this workspace` });
  }
  if (problems.length > 0)
    throw new AppError('validation_failed', `The workflow names unknown notification channels: ${problems.map((p) => p.path).join(', ')}`, {
      details: problems,
    });
}
