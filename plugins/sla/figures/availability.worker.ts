import { computeFigures } from './period-figures.ts';

/** Worker-pool task `sla.availability`: the SLA figures of a whole catalog off the event loop. */
export default computeFigures;
