import { HASH_HEX_LENGTHS, type FileIndicatorType } from '../vocab/indicator.js';
import { invalidValue } from './value-error.js';

const HEX = /^[0-9a-f]+$/;

/** Lower-case hex of the type's length. A wrong length names the hash type that length fits. */
export function normalizeHash(type: FileIndicatorType, raw: string): string {
  const s = raw.trim().toLowerCase();
  if (s === '') throw invalidValue(type, raw, 'the value is empty');
  if (!HEX.test(s)) throw invalidValue(type, raw, 'a hash is hex digits (0-9, a-f) only');
  const want = HASH_HEX_LENGTHS[type];
  if (s.length !== want) {
    const fits = (Object.keys(HASH_HEX_LENGTHS) as FileIndicatorType[]).find(
      (t) => HASH_HEX_LENGTHS[t] === s.length,
    );
    const hint = fits ? ` (${s.length} is a ${fits}; use type ${fits})` : '';
    throw invalidValue(type, raw, `it has ${s.length} hex digits; a ${type} has ${want}${hint}`);
  }
  return s;
}
