import type { Tx } from '../../core/plugin-api/index.ts';

/** The transaction SLA writes run in; alerts and events join it. */
export type SlaTx = Tx;
