import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { AppError } from '../errors/app-error.ts';
import type { JsonSchema } from '../plugin-api/index.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export type SettingsScope = 'platform' | 'workspace';
/** One section: the core's or a loaded plugin's, named by its owner. */
export interface SettingsSection {
  owner: string;
  schema: JsonSchema;
}
export type SettingsValues = Record<string, Record<string, unknown>>;

// useDefaults fills what is not set, so the defaults live only in the schemas.
const ajv = addFormats(new Ajv2020({ allErrors: true, strict: false, useDefaults: true }));

/** The document a scope's settings form: one property per section, nothing else. */
export function settingsDocumentSchema(sections: SettingsSection[]): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(sections.map((s) => [s.owner, { ...s.schema, default: {} }])),
  };
}

/**
 * Compiles the sections' document schema once per set of sections (plugins loading or unloading
 * change it): the cache is keyed by the section schemas' identity.
 */
export class SettingsSchemas {
  private compiled?: { sections: SettingsSection[]; validate: ReturnType<Ajv2020['compile']>; schema: JsonSchema };

  constructor(private readonly sections: () => SettingsSection[]) {}

  current() {
    const sections = this.sections();
    const same =
      this.compiled &&
      this.compiled.sections.length === sections.length &&
      this.compiled.sections.every((s, i) => s.owner === sections[i].owner && s.schema === sections[i].schema);
    if (!same) {
      const schema = settingsDocumentSchema(sections);
      this.compiled = { sections, schema, validate: ajv.compile(schema) };
    }
    return this.compiled as NonNullable<typeof this.compiled>;
  }

  /**
   * The stored values of the loaded sections with defaults filled in. Values of sections whose
   * owner is not loaded now are kept in storage and left out here.
   */
  effective(stored: SettingsValues): SettingsValues {
    const { sections, validate } = this.current();
    const values: SettingsValues = {};
    for (const { owner } of sections) values[owner] = structuredClone(stored[owner] ?? {});
    validate(values);
    return values;
  }

  /** Throws validation_failed (400) naming every field at fault. */
  check(values: SettingsValues, extra: (values: SettingsValues) => { path: string; message: string }[] = () => []): void {
    const { validate } = this.current();
    const candidate = structuredClone(values);
    const problems = validate(candidate)
      ? extra(candidate)
      : (validate.errors ?? []).map((e) => ({
          path: `/body/settings${e.instancePath}${e.keyword === 'additionalProperties' ? `/${(e.params as { additionalProperty: string }).additionalProperty}` : ''}`,
          message: e.keyword === 'additionalProperties' ? 'is not a known setting' : (e.message ?? 'invalid'),
        }));
    if (problems.length > 0) throw new AppError('validation_failed', 'The settings do not match their schema', { details: problems });
  }
}
