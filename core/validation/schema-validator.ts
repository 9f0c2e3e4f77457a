import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { AppError } from '../errors/app-error.ts';
import type { JsonSchema, SchemaValidator } from '../plugin-api/index.ts';
import { findUnsafeText, unsafeTextMessage } from './text-safety.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** One ajv for manifests, job payloads and plugin-side checks; compiled schemas are cached by identity. */
export class AjvSchemaValidator implements SchemaValidator {
  private readonly ajv = addFormats(new Ajv2020({ allErrors: true, strict: false }));
  private readonly compiled = new WeakMap<JsonSchema, ReturnType<Ajv2020['compile']>>();

  assert(schema: JsonSchema, value: unknown, what = 'value'): void {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema, validate);
    }
    // Whatever the schema allows, text PostgreSQL cannot store is refused here too.
    const unsafe = findUnsafeText(value);
    if (unsafe) throw new AppError('validation_failed', `${what} does not match its schema`, { details: [{ path: unsafe, message: unsafeTextMessage }] });
    if (!validate(value)) {
      throw new AppError('validation_failed', `${what} does not match its schema`, {
        details: (validate.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: e.message ?? 'invalid' })),
      });
    }
  }
}
