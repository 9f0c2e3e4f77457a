import type { Tx } from '../../core/plugin-api/index.ts';

/**
 * A workspace's transaction (`db.forTenant(id).transaction`): the SLA writes that take one leave
 * the tenant condition to row-level security, so a platform transaction must not be passed.
 */
export type SlaTx = Tx;
