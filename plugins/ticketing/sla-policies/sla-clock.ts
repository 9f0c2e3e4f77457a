import { addBusinessSeconds, businessSecondsBetween, type Calendar } from './business-hours.ts';

/**
 * A ticket's two SLA clocks, as pure state transitions (Frappe Helpdesk / ServiceNow semantics):
 * first response runs from creation until the first public reply by staff (or resolution) and is
 * never paused; resolution runs from creation, is paused by pending, resolved and closed, and
 * resumes where it stopped on reopen. Every deadline is business time on the policy's calendar.
 * The at-risk instant is 75 % of the target elapsed; breach is 100 %.
 */
export interface SlaClock {
  createdAt: Date;
  firstResponseTargetS: number | null;
  firstResponseDueAt: Date | null;
  firstResponseWarnAt: Date | null;
  firstRespondedAt: Date | null;
  resolutionTargetS: number | null;
  /** Business seconds the resolution clock ran before `resolutionRunningSince` (or in total while paused). */
  resolutionElapsedS: number;
  /** When the resolution clock last started running; null while paused or without an SLA. */
  resolutionRunningSince: Date | null;
  resolutionDueAt: Date | null;
  resolutionWarnAt: Date | null;
}

export interface SlaTargets {
  firstResponseMinutes: number;
  resolutionMinutes: number;
}

export const atRiskShare = 0.75;

/** Statuses in which the resolution clock does not run. */
export const pausedStatuses: ReadonlySet<string> = new Set(['pending', 'resolved', 'closed']);

const noSla = (createdAt: Date): SlaClock => ({
  createdAt,
  firstResponseTargetS: null,
  firstResponseDueAt: null,
  firstResponseWarnAt: null,
  firstRespondedAt: null,
  resolutionTargetS: null,
  resolutionElapsedS: 0,
  resolutionRunningSince: null,
  resolutionDueAt: null,
  resolutionWarnAt: null,
});

/** Deadlines of the running resolution clock from its state (none while paused). */
function resolutionDeadlines(clock: SlaClock, calendar: Calendar): SlaClock {
  if (clock.resolutionTargetS === null || clock.resolutionRunningSince === null) return { ...clock, resolutionDueAt: null, resolutionWarnAt: null };
  const left = clock.resolutionTargetS - clock.resolutionElapsedS;
  const warnLeft = Math.ceil(clock.resolutionTargetS * atRiskShare) - clock.resolutionElapsedS;
  return {
    ...clock,
    resolutionDueAt: addBusinessSeconds(clock.resolutionRunningSince, left, calendar),
    resolutionWarnAt: addBusinessSeconds(clock.resolutionRunningSince, warnLeft, calendar),
  };
}

function firstResponseDeadlines(clock: SlaClock, calendar: Calendar): SlaClock {
  if (clock.firstResponseTargetS === null || clock.firstRespondedAt !== null) return { ...clock, firstResponseDueAt: null, firstResponseWarnAt: null };
  return {
    ...clock,
    firstResponseDueAt: addBusinessSeconds(clock.createdAt, clock.firstResponseTargetS, calendar),
    firstResponseWarnAt: addBusinessSeconds(clock.createdAt, Math.ceil(clock.firstResponseTargetS * atRiskShare), calendar),
  };
}

/** The clocks of a new ticket: both start at creation (the resolution one only when not created paused). */
export function startClock(createdAt: Date, status: string, targets: SlaTargets | null, calendar: Calendar): SlaClock {
  if (!targets) return noSla(createdAt);
  const clock: SlaClock = {
    ...noSla(createdAt),
    firstResponseTargetS: targets.firstResponseMinutes * 60,
    resolutionTargetS: targets.resolutionMinutes * 60,
    resolutionRunningSince: pausedStatuses.has(status) ? null : createdAt,
  };
  return resolutionDeadlines(firstResponseDeadlines(clock, calendar), calendar);
}

/** Stops the resolution clock at `at`, keeping the business time it ran. */
export function pauseResolution(clock: SlaClock, at: Date, calendar: Calendar): SlaClock {
  if (clock.resolutionRunningSince === null) return clock;
  const ran = businessSecondsBetween(clock.resolutionRunningSince, at, calendar);
  return { ...clock, resolutionElapsedS: clock.resolutionElapsedS + ran, resolutionRunningSince: null, resolutionDueAt: null, resolutionWarnAt: null };
}

/** Starts the resolution clock again at `at`, from the business time it had already run. */
export function resumeResolution(clock: SlaClock, at: Date, calendar: Calendar): SlaClock {
  if (clock.resolutionRunningSince !== null || clock.resolutionTargetS === null) return clock;
  return resolutionDeadlines({ ...clock, resolutionRunningSince: at }, calendar);
}

/** The clocks after a status change at `at`. Resolving also counts as the first response when none came yet. */
export function changeStatus(clock: SlaClock, from: string, to: string, at: Date, calendar: Calendar): SlaClock {
  let next = clock;
  if (to === 'resolved' || to === 'closed') next = respond(next, at, calendar);
  const wasPaused = pausedStatuses.has(from);
  const isPaused = pausedStatuses.has(to);
  if (!wasPaused && isPaused) next = pauseResolution(next, at, calendar);
  if (wasPaused && !isPaused) next = resumeResolution(next, at, calendar);
  return next;
}

/** Records the first response (later ones change nothing). */
export function respond(clock: SlaClock, at: Date, calendar: Calendar): SlaClock {
  if (clock.firstRespondedAt !== null) return clock;
  return firstResponseDeadlines({ ...clock, firstRespondedAt: at }, calendar);
}

/**
 * New targets (a priority or policy change) at `at`: the time already run counts against the new
 * target, so a ticket raised to urgent late in its life may be due, or breached, at once.
 */
export function retarget(clock: SlaClock, targets: SlaTargets | null, at: Date, calendar: Calendar, status: string): SlaClock {
  if (!targets) return { ...noSla(clock.createdAt), firstRespondedAt: clock.firstRespondedAt };
  const running = clock.resolutionRunningSince;
  // Fold the running segment into the elapsed time so the new target is measured from now; a
  // ticket that had no SLA starts its resolution clock now (unless it is paused).
  const folded =
    running !== null
      ? { ...pauseResolution(clock, at, calendar), resolutionRunningSince: at }
      : clock.resolutionTargetS === null && !pausedStatuses.has(status)
        ? { ...clock, resolutionRunningSince: at }
        : clock;
  const next = { ...folded, firstResponseTargetS: targets.firstResponseMinutes * 60, resolutionTargetS: targets.resolutionMinutes * 60 };
  return resolutionDeadlines(firstResponseDeadlines(next, calendar), calendar);
}
