import type { CheckOutcome } from './endpoint-checks.ts';

export type EndpointStatus = 'pending' | 'up' | 'down' | 'paused';

export interface EndpointState {
  status: EndpointStatus;
  consecutiveFailures: number;
  /** The first failed check of the current streak. */
  failingSince: Date | null;
}

export interface EndpointTransition {
  state: EndpointState;
  /** The status changed: from, to, and when it counts from (an outage from its first failed check). */
  flip: { from: EndpointStatus; to: EndpointStatus; at: Date; reason: string | null } | null;
  /** `alert` when the threshold is reached, `recovery` when a down endpoint answers again. */
  event: 'alert' | 'recovery' | null;
}

/**
 * Applies one check result. A success makes the endpoint up (a down one recovers); a failure counts
 * toward the threshold, and reaching it takes the endpoint down from the first failure of the streak.
 */
export function applyCheck(state: EndpointState, outcome: Pick<CheckOutcome, 'ok' | 'error'>, threshold: number, at: Date): EndpointTransition {
  if (outcome.ok) {
    const next: EndpointState = { status: 'up', consecutiveFailures: 0, failingSince: null };
    if (state.status === 'up') return { state: next, flip: null, event: null };
    return { state: next, flip: { from: state.status, to: 'up', at, reason: null }, event: state.status === 'down' ? 'recovery' : null };
  }
  const failures = state.consecutiveFailures + 1;
  const failingSince = state.failingSince ?? at;
  const next: EndpointState = { status: state.status, consecutiveFailures: failures, failingSince };
  if (state.status !== 'down' && failures >= threshold) {
    return {
      state: { ...next, status: 'down' },
      flip: { from: state.status, to: 'down', at: failingSince, reason: outcome.error },
      event: 'alert',
    };
  }
  return { state: next, flip: null, event: null };
}
