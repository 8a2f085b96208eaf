import { InputError } from '../errors.js';
import {
  INDICATOR_ACTIONS,
  INDICATOR_SOURCES,
  INDICATOR_TYPES,
  type IndicatorAction,
  type IndicatorSource,
  type IndicatorType,
} from '../vocab/indicator.js';
import { SEVERITIES, type Severity } from '../vocab/severity.js';
import { normalizeIndicatorValue } from './normalize.js';

export const MAX_INDICATOR_TITLE_LENGTH = 200;
/** Generous: feeds paste whole report paragraphs; importers cut longer ones rather than lose the indicator. */
export const MAX_INDICATOR_DESCRIPTION_LENGTH = 10_000;
export const MAX_INDICATOR_DEVICE_GROUPS = 100;
export const MAX_INDICATOR_EXTERNAL_ID_LENGTH = 256;
const MAX_DEVICE_GROUP_ID_LENGTH = 100;

/** An indicator as an analyst, an import or a feed asks for it, before it is stored. */
export interface IndicatorInput {
  type: IndicatorType;
  /** Canonical form after validation; see `normalizeIndicatorValue`. */
  value: string;
  action: IndicatorAction;
  title: string;
  description?: string | undefined;
  severity: Severity;
  /** Raise an alert when it matches. Always false for `allow`. */
  generateAlert: boolean;
  /** ISO 8601 instant after which the indicator stops applying; null or absent = never. */
  expiresAt?: string | null | undefined;
  /** Device groups it applies to; empty = all devices. Sorted and de-duplicated by validation. */
  deviceGroupIds: string[];
  /** Identity in the system it came from, e.g. a STIX `indicator--…` id. */
  externalId?: string | undefined;
  source: IndicatorSource;
}

/** Anything that might be an IndicatorInput: what parsers and request bodies hand to validation. */
export type IndicatorDraft = { readonly [K in keyof IndicatorInput]?: unknown };

export interface IndicatorProblem {
  field: keyof IndicatorInput;
  reason: string;
}

export type IndicatorCheck =
  { ok: true; indicator: IndicatorInput } | { ok: false; problems: IndicatorProblem[] };

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;
/** Line breaks and other control characters, which break one-line displays and CSV cells. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function oneOf<T extends string>(list: readonly T[], v: unknown): v is T {
  return typeof v === 'string' && (list as readonly string[]).includes(v);
}

function optionalText(v: unknown): string | undefined | null {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' ? undefined : t;
}

/**
 * Every problem with a draft at once, or the normalised indicator. `now` (epoch ms) decides
 * whether `expiresAt` is already past. Importers use this to report rejected rows with reasons.
 */
export function checkIndicatorInput(d: IndicatorDraft, now: number): IndicatorCheck {
  const problems: IndicatorProblem[] = [];
  const bad = (field: keyof IndicatorInput, reason: string) => problems.push({ field, reason });

  let value = '';
  if (!oneOf(INDICATOR_TYPES, d.type)) bad('type', `type must be one of ${INDICATOR_TYPES.join(', ')}`);
  else if (typeof d.value !== 'string') bad('value', 'value is required');
  else {
    try {
      value = normalizeIndicatorValue(d.type, d.value);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      bad('value', e.message.replace(/\.$/, ''));
    }
  }
  if (!oneOf(INDICATOR_ACTIONS, d.action))
    bad('action', `action must be one of ${INDICATOR_ACTIONS.join(', ')}`);
  if (!oneOf(SEVERITIES, d.severity)) bad('severity', `severity must be one of ${SEVERITIES.join(', ')}`);
  if (!oneOf(INDICATOR_SOURCES, d.source))
    bad('source', `source must be one of ${INDICATOR_SOURCES.join(', ')}`);

  const title = typeof d.title === 'string' ? d.title.trim() : '';
  if (title === '') bad('title', 'title is required');
  else if (title.length > MAX_INDICATOR_TITLE_LENGTH)
    bad('title', `title is ${title.length} characters long; the limit is ${MAX_INDICATOR_TITLE_LENGTH}`);
  else if (hasControl(title)) bad('title', 'title must be one line of text');

  const description = optionalText(d.description);
  if (description === null) bad('description', 'description must be text');
  else if (description && description.length > MAX_INDICATOR_DESCRIPTION_LENGTH)
    bad(
      'description',
      `description is ${description.length} characters long; the limit is ${MAX_INDICATOR_DESCRIPTION_LENGTH}`,
    );

  if (typeof d.generateAlert !== 'boolean') bad('generateAlert', 'generateAlert must be true or false');
  else if (d.generateAlert && d.action === 'allow')
    bad('generateAlert', 'an allow indicator cannot raise alerts; set generateAlert to false');

  let expiresAt: string | null = null;
  if (d.expiresAt !== undefined && d.expiresAt !== null && d.expiresAt !== '') {
    const ms =
      typeof d.expiresAt === 'string' && ISO_INSTANT.test(d.expiresAt) ? Date.parse(d.expiresAt) : NaN;
    if (!Number.isFinite(ms))
      bad('expiresAt', 'expiresAt must be an ISO 8601 date and time with a zone, e.g. 2030-01-31T00:00:00Z');
    else if (ms <= now) bad('expiresAt', `expiresAt ${String(d.expiresAt)} is already past`);
    else expiresAt = new Date(ms).toISOString();
  }

  let deviceGroupIds: string[] = [];
  if (d.deviceGroupIds !== undefined) {
    const list = Array.isArray(d.deviceGroupIds) ? (d.deviceGroupIds as unknown[]) : null;
    if (
      !list ||
      list.some((g) => typeof g !== 'string' || g.trim() === '' || g.length > MAX_DEVICE_GROUP_ID_LENGTH)
    )
      bad('deviceGroupIds', 'deviceGroupIds must be a list of device group ids (empty for all devices)');
    else {
      deviceGroupIds = [...new Set(list.map((g) => (g as string).trim()))].sort();
      if (deviceGroupIds.length > MAX_INDICATOR_DEVICE_GROUPS)
        bad('deviceGroupIds', `an indicator applies to at most ${MAX_INDICATOR_DEVICE_GROUPS} device groups`);
    }
  }

  const externalId = optionalText(d.externalId);
  if (externalId === null || (externalId && externalId.length > MAX_INDICATOR_EXTERNAL_ID_LENGTH))
    bad('externalId', `externalId must be text of at most ${MAX_INDICATOR_EXTERNAL_ID_LENGTH} characters`);

  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    indicator: {
      type: d.type as IndicatorType,
      value,
      action: d.action as IndicatorAction,
      title,
      ...(description ? { description } : {}),
      severity: d.severity as Severity,
      generateAlert: d.generateAlert as boolean,
      expiresAt,
      deviceGroupIds,
      ...(externalId ? { externalId } : {}),
      source: d.source as IndicatorSource,
    },
  };
}

/** The normalised indicator, or an InputError listing every problem (`details.problems`). */
export function validateIndicatorInput(input: IndicatorDraft, now: number): IndicatorInput {
  const r = checkIndicatorInput(input, now);
  if (r.ok) return r.indicator;
  throw new InputError(`The indicator is not valid: ${r.problems.map((p) => p.reason).join('; ')}.`, {
    problems: r.problems,
  });
}
