import { describe, expect, it } from 'vitest';
import { InvalidIocTargetError } from '../indicators.errors.js';
import { parseIocListing, structureOf, tableBlock } from './ioc-listing.js';
import {
  buildIocElementDelta,
  buildIocScript,
  buildIocSkeleton,
  ELEMENT_CHUNK,
  emptySets,
  type IocTarget,
} from './ioc-ruleset.js';

const target = (
  over: Partial<IocTarget['sets']> = {},
  dnsRedirect: IocTarget['dnsRedirect'] = null,
): IocTarget => ({
  sets: { ...emptySets(), mgmt4: ['192.0.2.10'], ...over },
  dnsRedirect,
});
const rules = (text: string, chain: string) => {
  const start = text.indexOf(`chain ${chain} {`);
  return text
    .slice(start, text.indexOf('\n\t}', start))
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
};

describe('indicator table', () => {
  it('accepts loopback and the management server before any indicator is checked', () => {
    const skel = buildIocSkeleton(target());
    expect(rules(skel, 'output')).toEqual([
      'type filter hook output priority filter - 5; policy accept;',
      'oif "lo" accept',
      'ip daddr @mgmt4 accept',
      'ip6 daddr @mgmt6 accept',
      'jump check_daddr',
    ]);
    expect(rules(skel, 'forward')).toContain('jump check_saddr');
  });

  it('checks tiers in precedence order: group allow, group block, group audit, then all-devices allow, block', () => {
    const order = rules(buildIocSkeleton(target()), 'check_daddr')
      .filter((r) => r.startsWith('ip daddr @') && !r.includes('_net'))
      .map((r) => r.replace('ip daddr @', ''));
    expect(order).toEqual([
      'group_allow4 return',
      'group_block4 drop',
      'group_audit4 return',
      'all_allow4 return',
      'all_block4 drop',
    ]);
  });

  it('redirects DNS except the filter’s own sockets and loopback resolvers, only while asked to', () => {
    expect(buildIocSkeleton(target())).not.toContain('dns_redirect');
    const with6 = rules(buildIocSkeleton(target({}, { port: 5353, uid: 64999, ipv6: true })), 'dns_redirect');
    expect(with6).toEqual([
      'type nat hook output priority -100; policy accept;',
      'meta skuid 64999 return',
      'ip daddr 127.0.0.0/8 return',
      'ip6 daddr ::1 return',
      'meta nfproto ipv4 meta l4proto { tcp, udp } th dport 53 redirect to :5353',
      'meta nfproto ipv6 meta l4proto { tcp, udp } th dport 53 redirect to :5353',
    ]);
    const only4 = buildIocSkeleton(target({}, { port: 5353, uid: 1, ipv6: false }));
    expect(only4).not.toContain('meta nfproto ipv6');
    expect(() => buildIocSkeleton(target({}, { port: 70000, uid: 1, ipv6: false }))).toThrow(
      InvalidIocTargetError,
    );
  });

  it('replaces the whole table in one transaction, elements in chunks', () => {
    const many = Array.from(
      { length: ELEMENT_CHUNK + 5 },
      (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
    );
    const script = buildIocScript(target({ all_block4: many, all_block_net6: ['2001:db8::/32'] }), 'qtest');
    expect(script.startsWith('table inet qtest {}\ndelete table inet qtest\ntable inet qtest {\n')).toBe(
      true,
    );
    expect(script.match(/^add element inet qtest all_block4 \{/gm)).toHaveLength(2);
    expect(script).toContain('add element inet qtest all_block_net6 { 2001:db8::/32 }');
  });

  it('changes elements by a delta that deletes before it adds, and is empty when nothing changed', () => {
    const from = target({ all_block4: ['198.51.100.1', '198.51.100.2'] });
    const to = target({ all_block4: ['198.51.100.2', '198.51.100.3'] });
    expect(buildIocElementDelta(from, to)).toBe(
      'delete element inet quell_ioc all_block4 { 198.51.100.1 }\nadd element inet quell_ioc all_block4 { 198.51.100.3 }\n',
    );
    expect(buildIocElementDelta(from, from)).toBe('');
  });
});

describe('reading the table back', () => {
  const listing = `table inet quell_ioc {
	set mgmt4 {
		type ipv4_addr
		flags interval
		elements = { 192.0.2.10 }
	}

	set all_block4 {
		type ipv4_addr
		elements = { 198.51.100.1, 198.51.100.2,
			     198.51.100.3 }
	}

	chain output {
		type filter hook output priority filter - 5; policy accept;
		oif "lo" accept
	}
}
`;

  it('splits a listing into its skeleton and the elements of each set, however nft wraps them', () => {
    const parsed = parseIocListing(listing);
    expect(parsed.elements.get('all_block4')).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3']);
    expect(parsed.elements.get('mgmt4')).toEqual(['192.0.2.10']);
    expect(parsed.skeleton).not.toContain('elements');
    expect(parsed.skeleton).toContain('set all_block4 {\ntype ipv4_addr\n}');
  });

  it('derives what `nft list chains` and `nft -t list sets` print, and finds the table among others', () => {
    const s = structureOf(buildIocSkeleton(target()));
    expect(s.chains).toContain(
      'chain output {\ntype filter hook output priority filter - 5; policy accept;\n}',
    );
    expect(s.chains).not.toContain('jump');
    expect(s.sets).toContain('set all_block_net4 {\ntype ipv4_addr\nflags interval\n}');
    const both = `table inet quell {\n\tchain input {\n\t}\n}\n${listing}`;
    expect(tableBlock(both, 'quell_ioc')?.startsWith('table inet quell_ioc {')).toBe(true);
    expect(tableBlock(both, 'absent')).toBeNull();
  });
});
