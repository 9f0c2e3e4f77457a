import { AppError } from '../errors/app-error.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { OperationRequest } from '../plugin-api/index.ts';
import type { LicenseService } from './license-service.ts';
import { isLicenseError } from './license-token.ts';

export interface LicenseModuleDeps {
  licenses: LicenseService;
  /** Every available plugin with its state (PluginHost.statuses()). */
  pluginStatuses: () => { id: string; state: string; error?: string }[];
}

export const licensePermissions: NonNullable<CoreModule['permissions']> = [
  { name: 'license:activate', description: 'Activate a license (turns the plugins it lists on and the others off)', platform: true },
  { name: 'edition:read', description: 'See the edition, the licensee and which plugins are licensed and loaded', platform: true },
];

export const licensePolicies: NonNullable<CoreModule['policies']> = [
  { role: 'platform_admin', permission: 'license:activate' },
  ...['platform_admin', 'msp_admin', 'viewer', 'ops_engineer'].map((role) => ({ role, permission: 'edition:read' })),
];

/** License activation and the edition endpoint. */
export function licenseModule(deps: LicenseModuleDeps): CoreModule {
  const { licenses, pluginStatuses } = deps;
  return {
    id: 'license',
    openapi: new URL('./license.openapi.yaml', import.meta.url),
    permissions: licensePermissions,
    policies: licensePolicies,
    handlers: {
      async activateLicense(req: OperationRequest<{ licenseKey: string }>) {
        try {
          const info = await licenses.activate(req.body.licenseKey);
          return {
            success: true,
            message: 'License activated',
            customer: info.customer,
            plugins: info.plugins,
            edition: info.edition,
            expiresAt: info.expiresAt?.toISOString() ?? null,
          };
        } catch (error) {
          if (isLicenseError(error)) throw new AppError('unprocessable', error.message, { details: { reason: error.reason } });
          throw error;
        }
      },
      getEdition() {
        const info = licenses.current();
        return {
          edition: info?.edition ?? 'core',
          customer: info?.customer ?? null,
          expiresAt: info?.expiresAt?.toISOString() ?? null,
          development: info?.development ?? false,
          plugins: pluginStatuses().map(({ id, state, error }) => ({
            id,
            licensed: licenses.allows(id),
            state,
            ...(error ? { error: error.slice(0, 10_000) } : {}),
          })),
        };
      },
    },
  };
}
