import type { IsolationSpec } from '@quell/contracts/agent';
import { describe, expect, it } from 'vitest';
import type { IsolationTarget } from '../ports.js';
import { InvalidIsolationTargetError } from './firewall.errors.js';
import { buildIsolationRuleset, buildRemovalScript, normaliseRuleset } from './isolation-ruleset.js';

const spec = (over: Partial<IsolationSpec> = {}): IsolationSpec => ({
  mode: 'full',
  exclusions: [],
  allowDns: false,
  allowDhcp: false,
  ...over,
});
const target = (over: Partial<IsolationSpec> = {}): IsolationTarget => ({
  spec: spec(over),
  management: [{ address: '192.0.2.10', port: 8443 }],
});
/** Rules of one chain, without the chain header. */
const chain = (text: string, name: string): string[] => {
  const start = text.indexOf(`chain ${name} {`);
  return text
    .slice(start, text.indexOf('\n\t}', start))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('type ') && !l.startsWith('chain '));
};

describe('buildIsolationRuleset', () => {
  it('replaces the table atomically: create-if-missing, delete and define in one script', () => {
    const { script, expected } = buildIsolationRuleset(target(), 'qtest');
    expect(script.startsWith('table inet qtest {}\ndelete table inet qtest\ntable inet qtest {\n')).toBe(
      true,
    );
    expect(script.endsWith(expected)).toBe(true);
    for (const hook of ['input', 'output', 'forward']) {
      expect(expected).toContain(`type filter hook ${hook} priority filter - 10; policy drop;`);
    }
  });

  it('keeps loopback and the management endpoint open in both directions and nothing else in full mode', () => {
    const { expected } = buildIsolationRuleset(
      target({ exclusions: [{ remote: '198.51.100.1' }] }), // ignored: full mode
    );
    const nd =
      'icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept';
    expect(chain(expected, 'output')).toEqual([
      'oif "lo" accept',
      'ip daddr 192.0.2.10 tcp dport 8443 accept',
      nd,
    ]);
    expect(chain(expected, 'input')).toEqual([
      'iif "lo" accept',
      'ip saddr 192.0.2.10 tcp sport 8443 accept',
      nd,
    ]);
    expect(chain(expected, 'forward')).toEqual([]);
    // No blanket "ct state established accept": sessions open before isolation must be cut.
    expect(expected).not.toContain('ct state');
  });

  it('writes IPv6 management endpoints with ip6 matches', () => {
    const { expected } = buildIsolationRuleset({
      spec: spec(),
      management: [{ address: '2001:DB8::0:a', port: 443 }],
    });
    expect(chain(expected, 'output')).toContain('ip6 daddr 2001:db8::a tcp dport 443 accept');
    expect(chain(expected, 'input')).toContain('ip6 saddr 2001:db8::a tcp sport 443 accept');
  });

  it('opens DNS and DHCP only when asked', () => {
    const off = buildIsolationRuleset(target()).expected;
    expect(off).not.toMatch(/ 53 | 67 | 68 /);
    const on = buildIsolationRuleset(target({ allowDns: true, allowDhcp: true })).expected;
    expect(chain(on, 'output')).toEqual(
      expect.arrayContaining([
        'meta l4proto { tcp, udp } th dport 53 accept',
        'udp sport 68 udp dport 67 accept',
      ]),
    );
    expect(chain(on, 'input')).toEqual(
      expect.arrayContaining([
        'meta l4proto { tcp, udp } th sport 53 ct state established accept',
        'udp sport 67 udp dport 68 accept',
      ]),
    );
  });

  it.each([
    [
      { remote: '198.51.100.7', port: 443, protocol: 'tcp', direction: 'outbound' },
      ['ip daddr 198.51.100.7 tcp dport 443 accept'],
      ['ip saddr 198.51.100.7 tcp sport 443 ct state established,related accept'],
    ],
    [
      { remote: '198.51.100.0/24', port: 22, protocol: 'tcp', direction: 'inbound' },
      ['ip daddr 198.51.100.0/24 tcp sport 22 ct state established,related accept'],
      ['ip saddr 198.51.100.0/24 tcp dport 22 accept'],
    ],
    [
      { remote: '2001:db8::/32', protocol: 'udp', direction: 'outbound' },
      ['ip6 daddr 2001:db8::/32 meta l4proto udp accept'],
      ['ip6 saddr 2001:db8::/32 meta l4proto udp ct state established,related accept'],
    ],
    [
      { remote: '203.0.113.5', port: 53 },
      [
        'ip daddr 203.0.113.5 meta l4proto { tcp, udp } th dport 53 accept',
        'ip daddr 203.0.113.5 meta l4proto { tcp, udp } th sport 53 ct state established,related accept',
      ],
      [
        'ip saddr 203.0.113.5 meta l4proto { tcp, udp } th sport 53 ct state established,related accept',
        'ip saddr 203.0.113.5 meta l4proto { tcp, udp } th dport 53 accept',
      ],
    ],
  ] as const)('selective exclusion %j adds exactly its accepts', (exclusion, output, input) => {
    const base = buildIsolationRuleset(target({ mode: 'selective' })).expected;
    const { expected } = buildIsolationRuleset(target({ mode: 'selective', exclusions: [exclusion] }));
    expect(chain(expected, 'output').slice(chain(base, 'output').length)).toEqual(output);
    expect(chain(expected, 'input').slice(chain(base, 'input').length)).toEqual(input);
  });

  it.each([
    [
      'an exclusion remote with nft syntax',
      target({ mode: 'selective', exclusions: [{ remote: '1.2.3.4 accept; flush ruleset' }] }),
    ],
    [
      'an exclusion remote with a newline',
      target({ mode: 'selective', exclusions: [{ remote: '1.2.3.4\ntable ip x {}' }] }),
    ],
    ['a hostname', target({ mode: 'selective', exclusions: [{ remote: 'evil.example' }] })],
    ['a port out of range', target({ mode: 'selective', exclusions: [{ remote: '1.2.3.4', port: 70000 }] })],
    ['a fractional port', target({ mode: 'selective', exclusions: [{ remote: '1.2.3.4', port: 1.5 }] })],
    [
      'an unknown protocol',
      target({ mode: 'selective', exclusions: [{ remote: '1.2.3.4', protocol: 'icmp accept' as 'tcp' }] }),
    ],
    [
      'an unknown direction',
      target({ mode: 'selective', exclusions: [{ remote: '1.2.3.4', direction: 'out; flush' as 'both' }] }),
    ],
    [
      'a management address with nft syntax',
      { spec: spec(), management: [{ address: '1.2.3.4 } ', port: 1 }] },
    ],
    [
      'a management port given as text',
      { spec: spec(), management: [{ address: '1.2.3.4', port: '443 accept' as unknown as number }] },
    ],
    ['no management endpoint at all', { spec: spec(), management: [] }],
  ])('refuses %s with a typed input error', (_why, bad) => {
    expect(() => buildIsolationRuleset(bad)).toThrow(InvalidIsolationTargetError);
  });

  it.each(['quell; flush ruleset', '1abc', '', 'a'.repeat(33), 'qu ell'])(
    'refuses table name %j',
    (table) => {
      expect(() => buildIsolationRuleset(target(), table)).toThrow(InvalidIsolationTargetError);
      expect(() => buildRemovalScript(table)).toThrow(InvalidIsolationTargetError);
    },
  );
});

describe('normaliseRuleset', () => {
  it('ignores handles, indentation and blank lines but not content', () => {
    const listed =
      'table inet quell { # handle 7\n\tchain input { # handle 1\n\n\t\tiif "lo" accept # handle 4\n\t}\n}\n';
    const mine = 'table inet quell {\n  chain input {\n    iif "lo"  accept\n  }\n}';
    expect(normaliseRuleset(listed)).toBe(normaliseRuleset(mine));
    expect(normaliseRuleset(listed)).not.toBe(normaliseRuleset(mine.replace('accept', 'drop')));
  });
});
