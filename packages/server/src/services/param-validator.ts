import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ACTION_CATALOG, InputError } from '@quell/core';

/** Validates action parameters against each catalog entry's JSON Schema, compiled once. */
export class ParamValidator {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    for (const def of ACTION_CATALOG) this.validators.set(def.id, ajv.compile(def.params));
  }

  /** Returns the parameters with defaults filled in, or throws InputError naming each problem. */
  check(type: string, params: Record<string, unknown>): Record<string, unknown> {
    const v = this.validators.get(type);
    if (!v) throw new InputError(`Unknown action type "${type}".`, { type });
    const copy = structuredClone(params);
    if (v(copy)) return copy;
    const problems = (v.errors ?? []).map((e) => {
      const where = e.instancePath ? `params${e.instancePath.replace(/\//g, '.')}` : 'params';
      if (e.keyword === 'additionalProperties')
        return `${where} has an unknown field "${String(e.params.additionalProperty)}"`;
      return `${where} ${e.message ?? 'is invalid'}`;
    });
    throw new InputError(`Invalid parameters for ${type}: ${problems.join('; ')}.`, { problems });
  }
}
