import { describe, expect, it } from 'vitest';
import { parseStixPattern, PatternSyntaxError } from './stix-pattern.parser.js';
import { patternValues } from './stix-pattern.indicators.js';

describe('STIX pattern parser', () => {
  it('reads precedence: AND binds tighter than OR, OR than FOLLOWEDBY', () => {
    const t = parseStixPattern("[a:x = '1'] OR [a:x = '2'] AND [a:x = '3'] FOLLOWEDBY [a:x = '4']");
    expect(t.kind).toBe('FOLLOWEDBY');
    if (t.kind !== 'FOLLOWEDBY') return;
    expect(t.left.kind).toBe('OR');
    if (t.left.kind === 'OR') expect(t.left.right.kind).toBe('AND');
  });

  it('reads escapes, quoted properties, list indexes, sets and typed literals', () => {
    const t = parseStixPattern(
      "[email-message:to_refs[*].value IN ('a@x.example', 'b\\'s@x.example') AND file:hashes.'SHA-256' != h'ab' " +
        "AND artifact:payload_bin = b'AAAA' AND x:n >= -1.5 AND x:b = true] START t'2030-01-01T00:00:00Z' STOP t'2030-01-02T00:00:00Z'",
    );
    expect(t).toMatchObject({ kind: 'qualified', qualifier: 'START' });
    const s = JSON.stringify(t);
    expect(s).toContain('"index":"*"');
    expect(s).toContain("b's@x.example");
    expect(s).toContain('"name":"SHA-256"');
    expect(s).toContain('"value":-1.5');
  });

  it.each([
    ["[domain-name:value = 'x'", /expected "\]" or AND \/ OR at character 25, found the end/],
    ["domain-name:value = 'x'", /expected "\[" opening an observation at character 1/],
    ["[domain-name:value = 'x]", /never closed/],
    ["[domain-name:value = 'a\\b']", /only \\' and \\\\ may be escaped/],
    ["[file:hashes.SHA-256 = 'x']", /"SHA-256" at character 14 must be quoted \('SHA-256'\)/],
    ["[domain-name = 'x']", /expected ":" after the object type at character 14, found "="/],
    ["[domain-name:value 'x']", /expected a comparison operator/],
    ["[domain-name:value = 'x'] WITHIN SECONDS", /expected a number of seconds/],
    ["[domain-name:value = 'x'] [url:value = 'y']", /expected AND, OR, FOLLOWEDBY or a qualifier/],
    ["[domain-name:value = 'x'] and [url:value = 'y']", /expected AND, OR, FOLLOWEDBY/],
    ['[a:b = #]', /unexpected "#" at character 8/],
    [`${'('.repeat(100)}[a:b = 'x']${')'.repeat(100)}`, /nests deeper than 64/],
  ])('rejects %j', (pattern, message) => {
    expect(() => parseStixPattern(pattern)).toThrow(PatternSyntaxError);
    expect(() => parseStixPattern(pattern)).toThrow(message);
  });
});

describe('STIX pattern to indicator values', () => {
  it.each([
    ["[file:hashes.'SHA-256' = 'aa']", [{ type: 'sha256', value: 'aa' }]],
    ["[file:hashes.SHA256 = 'aa']", [{ type: 'sha256', value: 'aa' }]],
    ["[file:hashes.'sha-1' = 'aa']", [{ type: 'sha1', value: 'aa' }]],
    ["[file:hashes.md5 = 'aa']", [{ type: 'md5', value: 'aa' }]],
    ["[file:hashes.'MD5' == 'aa']", [{ type: 'md5', value: 'aa' }]],
    [
      "[ipv4-addr:value = '192.0.2.1' OR ipv6-addr:value = '::1'] OR ([domain-name:value = 'a.example'] OR [url:value = 'http://a.example/'])",
      [
        { type: 'ipv4', value: '192.0.2.1' },
        { type: 'ipv6', value: '::1' },
        { type: 'domain', value: 'a.example' },
        { type: 'url', value: 'http://a.example/' },
      ],
    ],
    [
      "[domain-name:value = 'a.example'] OR [domain-name:value = 'a.example']",
      [{ type: 'domain', value: 'a.example' }],
    ],
  ])('%s', (pattern, want) => {
    expect(patternValues(pattern)).toEqual(want);
  });

  it.each([
    ["[ipv4-addr:value = '192.0.2.1' AND ipv4-addr:value = '192.0.2.2']", /joins comparisons with AND/],
    ["[ipv4-addr:value = '192.0.2.1'] AND [ipv4-addr:value = '192.0.2.2']", /joins observations with AND/],
    ["[url:value = 'http://a/'] FOLLOWEDBY [url:value = 'http://b/']", /FOLLOWEDBY/],
    ["[url:value = 'http://a/'] WITHIN 5 SECONDS", /WITHIN qualifier/],
    ["[url:value = 'http://a/'] REPEATS 2 TIMES", /REPEATS qualifier/],
    [
      "[url:value = 'http://a/'] START t'2030-01-01T00:00:00Z' STOP t'2030-01-02T00:00:00Z'",
      /START\/STOP qualifier/,
    ],
    ["[domain-name:value != 'a.example']", /operator !=/],
    ["[domain-name:value NOT = 'a.example']", /NOT =/],
    ["[domain-name:value MATCHES '^a']", /operator MATCHES/],
    ["[domain-name:value IN ('a.example')]", /operator IN/],
    ['[EXISTS domain-name:value]', /EXISTS/],
    ["[file:hashes.'SHA-512' = 'aa']", /not SHA-512/],
    ["[file:name = 'evil.exe']", /object path file:name is not supported/],
    ["[process:name = 'evil.exe']", /object path process:name is not supported/],
    ["[domain-name:resolves_to_refs[0].value = '192.0.2.1']", /not supported/],
    ['[ipv4-addr:value = 3]', /with a number value, not a string/],
    ["[ipv4-addr:value = '1'", /its pattern is malformed/],
  ])('cannot import %s', (pattern, reason) => {
    expect(patternValues(pattern)).toMatch(reason);
  });
});
