import { actionDefinition, type JsonSchema } from '@quell/core';
import { CliError } from './errors.js';

/** Turns one `--param` value into what the catalog's schema for that key expects. */
function coerce(key: string, raw: string, schema: JsonSchema | undefined): unknown {
  const bad = (what: string) => new CliError(`--param ${key}=${raw}: ${what}`, 'QUELL_E_INPUT');
  switch (schema?.type) {
    case undefined:
    case 'string':
      // Unknown keys stay strings; the server names them if they are not allowed.
      return raw;
    case 'integer':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) throw bad(`${key} must be a number`);
      return n;
    }
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw bad(`${key} must be true or false`);
    case 'array':
      if (raw.trim().startsWith('[')) return parseJson(raw, bad);
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((item) => coerce(key, item, schema.items));
    case 'object':
      return parseJson(raw, bad);
  }
}

function parseJson(raw: string, bad: (what: string) => Error): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw bad('not valid JSON');
  }
}

/**
 * The `params` of an action request from `--params-json` and then `--param k=v` (which win), each
 * value typed by the catalog's parameter schema so `--param timeoutSeconds=30` sends a number.
 */
export function buildParams(
  type: string,
  pairs: readonly string[],
  json: string | undefined,
): Record<string, unknown> {
  const def = actionDefinition(type);
  let params: Record<string, unknown> = {};
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw new CliError(`--params-json is not valid JSON: ${(e as Error).message}`, 'QUELL_E_INPUT');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CliError('--params-json must be a JSON object, e.g. {"mode":"selective"}', 'QUELL_E_INPUT');
    }
    params = { ...(parsed as Record<string, unknown>) };
  }
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--param ${pair}: write it as key=value`, 'QUELL_E_INPUT');
    const key = pair.slice(0, eq);
    params[key] = coerce(key, pair.slice(eq + 1), def.params.properties[key]);
  }
  return params;
}
