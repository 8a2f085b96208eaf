import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { normalizeUrl, urlMatches } from './url.js';

const runs = { seed: 90_210, numRuns: 400 };

describe('URL indicator values', () => {
  it.each([
    ['HTTP://Evil.EXAMPLE:80/a/../b?x=1#frag', 'http://evil.example/b?x=1'],
    ['https://user:pw@evil.example:443', 'https://evil.example/'],
    ['https://evil.example:8443/p?', 'https://evil.example:8443/p'],
    ['http://bücher.example/ä', 'http://xn--bcher-kva.example/%C3%A4'],
    ['http://[2001:DB8::1]/x', 'http://[2001:db8::1]/x'],
  ])('normalises %j to %j', (raw, want) => {
    expect(normalizeUrl(raw)).toBe(want);
  });

  it.each([
    ['evil.example/path', /absolute URL starting with http/],
    ['ftp://evil.example/x', /absolute URL starting with http/],
    ['http://', /not a valid URL/],
    ['http://bad_host!.example/', /not a valid URL|not a valid name/],
    [`http://evil.example/${'a'.repeat(2048)}`, /the limit is 2048/],
  ])('rejects %j with a reason', (raw, reason) => {
    expect(() => normalizeUrl(raw)).toThrow(InputError);
    expect(() => normalizeUrl(raw)).toThrow(reason);
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true }),
        (raw) => {
          const once = normalizeUrl(raw);
          expect(normalizeUrl(once)).toBe(once);
        },
      ),
      runs,
    );
  });
});

describe('urlMatches', () => {
  it.each([
    ['http://evil.example/dl.php', 'HTTP://EVIL.example:80/dl.php#x', true],
    ['http://evil.example/dl.php', 'http://evil.example/dl.php?id=7', true],
    ['http://evil.example/dl.php?id=7', 'http://evil.example/dl.php?id=8', false],
    ['http://evil.example/dl.php?id=7', 'http://evil.example/dl.php?id=7', true],
    ['http://evil.example/dl.php', 'https://evil.example/dl.php', false],
    ['http://evil.example/dl.php', 'http://evil.example/dl.php/x', false],
    ['http://evil.example/dl.php', 'not a url', false],
  ])('%s matches %s: %s', (indicator, observed, want) => {
    expect(urlMatches(indicator, observed)).toBe(want);
  });
});
