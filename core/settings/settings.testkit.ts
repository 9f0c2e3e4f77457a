import { definePlugin, type SettingsService, tokens } from '../plugin-api/index.ts';

/** A plugin with a settings section of each scope, handing out its view of the settings for tests. */
export function settingsProbePlugin(id = 'tuning_probe') {
  const probe: { settings?: SettingsService } = {};
  const manifest = definePlugin({
    id,
    version: '1.0.0',
    host: '*',
    settings: {
      workspace: {
        type: 'object',
        additionalProperties: false,
        properties: {
          checkIntervalSeconds: { type: 'integer', minimum: 10, maximum: 3600, default: 60 },
          channels: { type: 'array', items: { type: 'string', maxLength: 50 }, maxItems: 10, default: [] },
        },
      },
      platform: { type: 'object', additionalProperties: false, properties: { enabled: { type: 'boolean', default: true } } },
    },
    init(ctx) {
      probe.settings = ctx.get(tokens.settings);
    },
  });
  return {
    manifest,
    get settings(): SettingsService {
      if (!probe.settings) throw new Error(`plugin ${id} is not loaded`);
      return probe.settings;
    },
  };
}
