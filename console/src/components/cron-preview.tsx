import { Cron } from 'croner';

/** The next runs of a cron expression in its time zone, computed in the browser as the server does (croner). */
export function CronPreview(props: { cron: string; timezone: string }) {
  let runs: Date[] = [];
  let problem: string | undefined;
  try {
    runs = new Cron(props.cron, { timezone: props.timezone || 'UTC', paused: true }).nextRuns(5);
  } catch (error) {
    problem = (error as Error).message;
  }
  const format = (() => {
    try {
      return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: props.timezone || 'UTC' });
    } catch {
      return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
    }
  })();
  return (
    <div class="cron-preview" aria-live="polite">
      <h3>Next runs ({props.timezone || 'UTC'})</h3>
      {problem ? (
        <p class="error">{problem}</p>
      ) : (
        <ol>
          {runs.map((run) => (
            <li key={run.getTime()}>{format.format(run)}</li>
          ))}
        </ol>
      )}
    </div>
  );
}
