import { InputError } from '../errors.js';
import type { IndicatorType } from '../vocab/indicator.js';

/** Longest part of a rejected value quoted back in a message; a whole pasted file helps no one. */
const SHOWN_MAX = 100;

/**
 * The one error for a value that cannot be an indicator of `type`. The message is a sentence an
 * analyst can act on; `details.reason` is the same reason alone, for import reports.
 */
export function invalidValue(type: IndicatorType, raw: string, reason: string): InputError {
  const shown = raw.length > SHOWN_MAX ? `${raw.slice(0, SHOWN_MAX)}…` : raw;
  return new InputError(`"${shown}" is not a valid ${type} indicator: ${reason}.`, {
    field: 'value',
    type,
    reason,
  });
}
