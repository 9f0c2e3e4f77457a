import { coreFragments } from '../contract/core-fragments.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { PluginManifest } from '../plugin-api/index.ts';
import { createFormOf, filtersOf, recordOf, sortableOf } from './contract-forms.ts';

/**
 * `GET /api/v1/console/pages`: the console pages of the plugins loaded now. Read from the
 * manifests on every call, so a license activation or expiry shows or hides them at once.
 */
export function consoleModule(deps: { loaded: () => PluginManifest[]; document: () => Record<string, any> | undefined }): CoreModule {
  return {
    id: 'console',
    openapi: coreFragments.console,
    handlers: {
      listConsolePages() {
        const document = deps.document();
        return {
          data: deps.loaded().flatMap((manifest) =>
            (manifest.console?.pages ?? []).map((page) => {
              const create = page.create && document ? createFormOf(document, manifest.id, page.create) : undefined;
              const record = page.list && document ? recordOf(document, manifest.id, page.list, page.record) : undefined;
              const filters = page.list && document ? filtersOf(document, manifest.id, page.list) : [];
              const sortable = page.list && document ? sortableOf(document, manifest.id, page.list) : [];
              return {
                plugin: manifest.id,
                path: page.path,
                title: page.title,
                navGroup: page.navGroup,
                permission: page.permission,
                ...(page.list ? { list: page.list } : {}),
                ...(page.columns ? { columns: page.columns } : {}),
                ...(create ? { create } : {}),
                ...(record ? { record } : {}),
                ...(sortable.length ? { sortable } : {}),
                ...(filters.length ? { filters } : {}),
              };
            }),
          ),
        };
      },
    },
  };
}
