import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { normalizeIndicatorValue } from './normalize.js';

const runs = { seed: 7_331, numRuns: 300 };

describe('hash indicator values', () => {
  it('lower-cases and trims', () => {
    expect(normalizeIndicatorValue('md5', ' D41D8CD98F00B204E9800998ECF8427E\n')).toBe(
      'd41d8cd98f00b204e9800998ecf8427e',
    );
  });

  it.each([
    [
      'sha256',
      'd41d8cd98f00b204e9800998ecf8427e',
      /32 hex digits; a sha256 has 64 \(32 is a md5; use type md5\)/,
    ],
    ['sha1', 'abc', /3 hex digits; a sha1 has 40$/],
    ['md5', 'z41d8cd98f00b204e9800998ecf8427e', /hex digits \(0-9, a-f\) only/],
    ['sha256', '', /empty/],
  ] as const)('rejects %s %j with a reason', (type, raw, reason) => {
    try {
      normalizeIndicatorValue(type, raw);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).details.reason).toMatch(reason);
    }
  });

  it('is idempotent for any hex string of the right length, in any case', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-fA-F]{64}$/), (raw) => {
        const once = normalizeIndicatorValue('sha256', raw);
        expect(once).toBe(raw.toLowerCase());
        expect(normalizeIndicatorValue('sha256', once)).toBe(once);
      }),
      runs,
    );
  });
});
