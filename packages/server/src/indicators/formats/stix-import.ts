import {
  INDICATOR_ACTIONS,
  InputError,
  MAX_INDICATOR_DESCRIPTION_LENGTH,
  MAX_INDICATOR_TITLE_LENGTH,
  SEVERITIES,
  type IndicatorAction,
  type IndicatorInput,
  type Severity,
} from '@quell/core';
import {
  checkDraft,
  dedupeKey,
  IMPORT_DEFAULTS,
  IMPORT_LIMITS,
  resolveGroups,
  type IndicatorImportOptions,
} from './indicator-import.js';
import { patternValues } from './stix-pattern.indicators.js';
import { STIX_INDICATOR_ID, stixTime } from './stix-objects.js';

export interface StixRejection {
  /** Position of the object in the bundle's (or TAXII page's) `objects`, from 0. */
  index: number;
  stixId?: string;
  reason: string;
}

export interface StixImportResult {
  accepted: IndicatorInput[];
  rejected: StixRejection[];
  /**
   * Ids of indicators the source revoked. Their objects are also in `rejected`; a feed sync
   * withdraws the indicators it imported earlier under these ids.
   */
  revokedIds: string[];
  /** Objects that are not indicators (identities, relationships, …), and superseded versions. */
  ignored: number;
}

const REQUIRED = ['id', 'created', 'modified', 'pattern', 'pattern_type', 'valid_from'] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Reads the x_quell_* properties, or says which one is wrong. */
function quellProperties(o: Obj, options: IndicatorImportOptions) {
  const action = o.x_quell_action ?? options.defaultAction ?? IMPORT_DEFAULTS.action;
  if (!(INDICATOR_ACTIONS as readonly unknown[]).includes(action))
    return `x_quell_action ${JSON.stringify(action)} must be one of ${INDICATOR_ACTIONS.join(', ')}`;
  const severity = o.x_quell_severity ?? options.defaultSeverity ?? IMPORT_DEFAULTS.severity;
  if (!(SEVERITIES as readonly unknown[]).includes(severity))
    return `x_quell_severity ${JSON.stringify(severity)} must be one of ${SEVERITIES.join(', ')}`;
  const generateAlert =
    o.x_quell_generate_alert ??
    (action === 'allow' ? false : (options.defaultGenerateAlert ?? IMPORT_DEFAULTS.generateAlert));
  if (typeof generateAlert !== 'boolean') return 'x_quell_generate_alert must be true or false';
  const groups = o.x_quell_device_groups ?? [];
  if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string'))
    return 'x_quell_device_groups must be a list of device group names or ids';
  const deviceGroupIds = resolveGroups(groups as string[], options);
  if (typeof deviceGroupIds === 'string') return `x_quell_device_groups: ${deviceGroupIds}`;
  return { action: action as IndicatorAction, severity: severity as Severity, generateAlert, deviceGroupIds };
}

/** The indicators one indicator SDO stands for, or why it cannot be imported. */
function fromIndicatorObject(o: Obj, options: IndicatorImportOptions): IndicatorInput[] | string {
  if (o.revoked === true) return 'it is revoked';
  if (o.spec_version !== '2.1')
    return o.spec_version === undefined
      ? 'it has no spec_version; Quell imports STIX 2.1 indicators'
      : `its spec_version is ${JSON.stringify(o.spec_version)}; Quell imports STIX 2.1 indicators`;
  const missing = REQUIRED.filter((k) => o[k] === undefined || o[k] === null);
  if (missing.length)
    return `it lacks the required propert${missing.length > 1 ? 'ies' : 'y'} ${missing.join(', ')}`;
  if (typeof o.id !== 'string' || !STIX_INDICATOR_ID.test(o.id)) return 'its id is not indicator--<UUID>';
  for (const k of ['created', 'modified', 'valid_from'] as const)
    if (stixTime(o[k]) === null) return `its ${k} is not a STIX timestamp (e.g. 2030-01-31T00:00:00Z)`;
  if (o.pattern_type !== 'stix')
    return `its pattern_type ${JSON.stringify(o.pattern_type)} is not supported; Quell reads STIX patterns only`;
  if (typeof o.pattern !== 'string') return 'its pattern is not text';
  if (o.pattern.length > IMPORT_LIMITS.stixPatternChars)
    return `its pattern is ${o.pattern.length} characters long; the limit is ${IMPORT_LIMITS.stixPatternChars}`;

  let expiresAt: string | null = null;
  if (o.valid_until !== undefined) {
    const until = stixTime(o.valid_until);
    if (until === null) return 'its valid_until is not a STIX timestamp';
    if (until <= (stixTime(o.valid_from) as number)) return 'its valid_until is not after its valid_from';
    if (until <= options.now) return `it expired at ${String(o.valid_until)} (valid_until)`;
    expiresAt = new Date(until).toISOString();
  }
  const types = Array.isArray(o.indicator_types) ? o.indicator_types : [];
  // Blocking what the producer calls benign would be wrong, and a feed allowing things
  // fleet-wide is a lever for an attacker: such indicators need an explicit x_quell_action.
  if (o.x_quell_action === undefined && types.length > 0 && types.every((t) => t === 'benign'))
    return 'it is marked benign; set x_quell_action to import it';
  const props = quellProperties(o, options);
  if (typeof props === 'string') return props;

  const values = patternValues(o.pattern);
  if (typeof values === 'string') return values;
  if (values.length > IMPORT_LIMITS.stixPatternValues)
    return `its pattern names ${values.length} values; the limit is ${IMPORT_LIMITS.stixPatternValues}`;
  const name = typeof o.name === 'string' ? o.name.replace(/\s+/g, ' ').trim() : '';
  const description = typeof o.description === 'string' ? o.description.trim() : undefined;
  const out: IndicatorInput[] = [];
  for (const v of values) {
    const checked = checkDraft(
      {
        type: v.type,
        value: v.value,
        ...props,
        title: cut(name || v.value, MAX_INDICATOR_TITLE_LENGTH),
        description: description ? cut(description, MAX_INDICATOR_DESCRIPTION_LENGTH) : undefined,
        expiresAt,
        externalId: o.id,
        source: options.source ?? 'import_stix',
      },
      options.now,
    );
    if (typeof checked === 'string') return checked;
    out.push(checked);
  }
  return out;
}

/** Index of the newest version of each indicator id (greatest `modified`; the first on a tie). */
function newestVersions(objects: readonly unknown[]): Map<string, number> {
  const newest = new Map<string, number>();
  objects.forEach((o, i) => {
    if (!isObj(o) || o.type !== 'indicator' || typeof o.id !== 'string') return;
    const prev = newest.get(o.id);
    const t = stixTime(o.modified) ?? -Infinity;
    const prevObj = prev === undefined ? undefined : (objects[prev] as Obj);
    if (prev === undefined || t > (stixTime(prevObj?.modified) ?? -Infinity)) newest.set(o.id, i);
  });
  return newest;
}

/**
 * Indicators from a list of STIX objects: a bundle's `objects` or a TAXII envelope's. Each
 * indicator SDO is imported whole or rejected with its index, id and reason; objects of other
 * types and older versions of the same indicator are counted as ignored. An indicator is
 * rejected when it is revoked, expired (`valid_until` at or before `options.now`), not STIX 2.1,
 * lacks a required property, has a pattern_type other than `stix`, or a pattern that is
 * malformed or uses anything beyond `=` comparisons on the supported paths joined by OR.
 * A value that is already in an earlier object is not imported twice.
 */
export function importStixObjects(
  objects: readonly unknown[],
  options: IndicatorImportOptions,
): StixImportResult {
  if (objects.length > IMPORT_LIMITS.stixObjects)
    throw new InputError(
      `The bundle has ${objects.length} objects; an import takes at most ${IMPORT_LIMITS.stixObjects}. Split it, or pull it from TAXII in pages.`,
    );
  const result: StixImportResult = { accepted: [], rejected: [], revokedIds: [], ignored: 0 };
  const newest = newestVersions(objects);
  const firstObject = new Map<string, number>();
  objects.forEach((o, index) => {
    if (!isObj(o)) {
      result.rejected.push({ index, reason: 'it is not a JSON object' });
      return;
    }
    if (o.type !== 'indicator') {
      result.ignored++;
      return;
    }
    const stixId = typeof o.id === 'string' ? o.id : undefined;
    if (stixId !== undefined && newest.get(stixId) !== index) {
      result.ignored++;
      return;
    }
    const reject = (reason: string) => result.rejected.push({ index, ...(stixId ? { stixId } : {}), reason });
    if (o.revoked === true && stixId) result.revokedIds.push(stixId);
    const indicators = fromIndicatorObject(o, options);
    if (typeof indicators === 'string') return reject(indicators);
    const fresh = indicators.filter((i) => !firstObject.has(dedupeKey(i)));
    if (fresh.length === 0) {
      const first = firstObject.get(dedupeKey(indicators[0] as IndicatorInput));
      return reject(`its indicators were already imported from object ${first}`);
    }
    for (const i of fresh) firstObject.set(dedupeKey(i), index);
    result.accepted.push(...fresh);
  });
  return result;
}

/**
 * Indicators from a STIX 2.1 bundle, given as JSON text, bytes or an already parsed value.
 * Throws an InputError when the input as a whole is not a bundle (not JSON, another object
 * type, over `IMPORT_LIMITS.stixBytes`); see `importStixObjects` for what happens per object.
 */
export function importStixBundle(
  input: string | Uint8Array | unknown,
  options: IndicatorImportOptions,
): StixImportResult {
  let bundle: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
    if (bytes > IMPORT_LIMITS.stixBytes)
      throw new InputError(
        `The bundle is ${bytes} bytes; an import takes at most ${IMPORT_LIMITS.stixBytes}. Split it, or pull it from TAXII in pages.`,
      );
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
    try {
      bundle = JSON.parse(text);
    } catch (e) {
      throw new InputError(
        `The file is not JSON, so not a STIX bundle: ${(e as Error).message}.`,
        {},
        { cause: e },
      );
    }
  }
  if (!isObj(bundle) || bundle.type !== 'bundle') {
    const what =
      isObj(bundle) && typeof bundle.type === 'string' ? `a STIX ${bundle.type}` : 'not a STIX object';
    throw new InputError(
      `Expected a STIX 2.1 bundle ({"type": "bundle", "objects": [...]}); this is ${what}.`,
    );
  }
  if (bundle.objects !== undefined && !Array.isArray(bundle.objects))
    throw new InputError('The bundle\'s "objects" is not a list.');
  return importStixObjects((bundle.objects as unknown[] | undefined) ?? [], options);
}
