import { definePlugin, type PluginManifest } from '../plugin-api/index.ts';

/** A minimal valid public GET operation, for plugins built inside tests. */
export function publicGet(operationId: string) {
  return {
    get: {
      operationId,
      'x-public': true,
      security: [],
      responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };
}

/** A plugin with one public route answering `{ plugin: id }`, for loader tests. */
export function routePlugin(
  id: string,
  options: { path?: string; operationId?: string; requires?: string[]; init?: PluginManifest['init'] } = {},
): PluginManifest {
  const operationId = options.operationId ?? `${id}Get`;
  return definePlugin({
    id,
    version: '1.0.0',
    host: '*',
    requires: options.requires,
    openapi: { paths: { [options.path ?? `/api/v1/${id}`]: publicGet(operationId) } },
    init:
      options.init ??
      ((ctx) => {
        ctx.handle(operationId, () => ({ plugin: id }));
      }),
  });
}
