import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { domainCovers, normalizeDomain } from './domain.js';

const runs = { seed: 4_242, numRuns: 400 };

describe('domain indicator values', () => {
  it.each([
    ['Example.COM.', 'example.com'],
    ['*.evil.example', 'evil.example'],
    [' a-b_c.example.org ', 'a-b_c.example.org'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['ПРИМЕР.рф', 'xn--e1afmkfd.xn--p1ai'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ])('normalises %j to %j', (raw, want) => {
    expect(normalizeDomain(raw)).toBe(want);
  });

  it.each([
    ['http://evil.example/', /bare name/],
    ['evil.example:443', /bare name/],
    ['com', /single label/],
    ['a..example', /empty label/],
    ['-bad.example', /label "-bad"/],
    [`${'a'.repeat(64)}.example`, /label "a{64}"/],
    [`${'abcdefghi.'.repeat(26)}com`, /263 characters long/],
    ['192.0.2.1', /IP address; use type ipv4/],
    ['', /empty/],
  ])('rejects %j with a reason', (raw, reason) => {
    expect(() => normalizeDomain(raw)).toThrow(InputError);
    expect(() => normalizeDomain(raw)).toThrow(reason);
  });

  it('is idempotent, whatever the case of the input', () => {
    fc.assert(
      fc.property(fc.domain(), fc.boolean(), (d, upper) => {
        const raw = upper ? d.toUpperCase() : d;
        const once = normalizeDomain(raw);
        expect(once).toBe(normalizeDomain(d.toLowerCase()));
        expect(normalizeDomain(once)).toBe(once);
      }),
      runs,
    );
  });

  it('is idempotent for unicode names', () => {
    const label = fc.stringMatching(/^[a-zäöüßéñжпр]{1,12}$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 2, maxLength: 4 }), (labels) => {
        const once = normalizeDomain(labels.join('.'));
        expect(once).toMatch(/^[a-z0-9.-]+$/);
        expect(normalizeDomain(once)).toBe(once);
      }),
      runs,
    );
  });
});

describe('domainCovers', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['example.com', 'a.b.EXAMPLE.com.', true],
    ['example.com', 'notexample.com', false],
    ['example.com', 'example.com.evil.net', false],
    ['bücher.example', 'www.xn--bcher-kva.example', true],
    ['example.com', 'http://example.com/', false],
  ])('%s covers %s: %s', (d, host, want) => {
    expect(domainCovers(d, host)).toBe(want);
  });
});
