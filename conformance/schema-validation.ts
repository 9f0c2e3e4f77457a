import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { JsonObject } from './contract-document.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** The id the served document is registered under, so `#/components/...` refs resolve inside it. */
const CONTRACT_ID = 'https://conformance.invalid/contract.json';

/** The one error body every error response must carry. */
export const standardErrorSchema: JsonObject = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'correlationId'],
      properties: {
        code: { type: 'string', minLength: 1 },
        message: { type: 'string' },
        details: {},
        correlationId: { type: 'string', minLength: 1 },
      },
    },
  },
};

/** Points local refs of a schema taken out of the document back into the registered document. */
function anchorRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(anchorRefs);
  if (!value || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof child === 'string' && child.startsWith('#') ? CONTRACT_ID + child : anchorRefs(child);
  }
  return out;
}

/** JSON Schema 2020-12 validation of values against schemas of the served contract. */
export class SchemaValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
  private readonly compiled = new WeakMap<object, ValidateFunction>();

  constructor(document: JsonObject) {
    addFormats(this.ajv);
    this.ajv.addSchema({ ...document, $id: CONTRACT_ID }, undefined, undefined, false);
  }

  /** Undefined when valid, otherwise a short description of the first problems. */
  problems(schema: JsonObject, value: unknown): string | undefined {
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.compile(anchorRefs(schema) as JsonObject);
      this.compiled.set(schema, validate);
    }
    if (validate(value)) return undefined;
    return (validate.errors ?? [])
      .slice(0, 3)
      .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
      .join('; ');
  }

  accepts(schema: JsonObject, value: unknown): boolean {
    try {
      return this.problems(schema, value) === undefined;
    } catch {
      return false;
    }
  }
}
