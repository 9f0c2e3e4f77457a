import type { EntitySchema, EventArgs, EventSubscriber, FilterDef } from '@mikro-orm/postgresql';
import { AppError } from '../errors/app-error.ts';

/** Entities with a `tenantId` property are tenant-scoped: every query on them is filtered. */
export function tenantScoped(entities: EntitySchema<any, any, any>[]): EntitySchema<any, any, any>[] {
  return entities.filter((e) => 'tenantId' in (e.meta.properties ?? {}));
}

/**
 * The `tenant` filter is on by default and needs its argument: a query on a tenant-scoped entity
 * through an EntityManager that was not opened for a tenant fails instead of returning every
 * tenant's rows, so a handler cannot forget the tenant.
 */
export function tenantFilter(entities: EntitySchema<any, any, any>[]): Record<string, FilterDef> {
  if (entities.length === 0) return {};
  return {
    tenant: {
      name: 'tenant',
      default: true,
      entity: entities,
      cond: (args: Record<string, any>) => ({ tenantId: args.tenantId as string }),
    },
  };
}

/** New tenant-scoped rows take the tenant of the EntityManager that creates them. */
export class TenantStamp implements EventSubscriber {
  constructor(private readonly entityNames: ReadonlySet<string>) {}

  beforeCreate(args: EventArgs<Record<string, unknown>>): void {
    if (!this.entityNames.has(args.meta.className)) return;
    const tenantId = (args.em.getFilterParams('tenant') as { tenantId?: string } | undefined)?.tenantId;
    if (args.entity.tenantId === undefined) {
      if (!tenantId) throw new AppError('internal', `${args.meta.className} is tenant-scoped; create it through database.forTenant(tenantId)`);
      args.entity.tenantId = tenantId;
    } else if (tenantId && args.entity.tenantId !== tenantId) {
      throw new AppError('internal', `${args.meta.className} was given tenant ${String(args.entity.tenantId)} inside tenant ${tenantId}`);
    }
  }
}
