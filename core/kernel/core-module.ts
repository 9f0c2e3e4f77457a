import type { RegisteredResolver } from '../graphql/schema-builder.ts';
import type { OperationHandler, PermissionDeclaration, PolicyDeclaration } from '../plugin-api/index.ts';

/**
 * A feature of the core (identity, tenancy, licenses, ...) that contributes to the contract like a
 * plugin does, but is always loaded and may use core internals. Permissions a core module declares
 * with `platform: true` are checked without a workspace (tenants, licenses, platform settings).
 */
export interface CoreModule {
  id: string;
  openapi?: URL;
  sdl?: string;
  permissions?: (PermissionDeclaration & { platform?: boolean })[];
  policies?: PolicyDeclaration[];
  handlers: Record<string, OperationHandler>;
  resolvers?: RegisteredResolver[];
}
