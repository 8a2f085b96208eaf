import { describe, expect, it } from 'vitest';
import { InvalidIsolationTargetError } from './firewall.errors.js';
import { parseIpNetwork } from './ip-address.js';

describe('parseIpNetwork', () => {
  it.each([
    ['10.1.2.3', 'ip', '10.1.2.3'],
    ['10.1.2.3/32', 'ip', '10.1.2.3'],
    ['10.1.2.3/16', 'ip', '10.1.0.0/16'],
    ['0.0.0.0/0', 'ip', '0.0.0.0/0'],
    ['2001:DB8:0:0:0:0:0:1', 'ip6', '2001:db8::1'],
    ['2001:db8::1/128', 'ip6', '2001:db8::1'],
    ['2001:db8:abcd:12::ff/48', 'ip6', '2001:db8:abcd::/48'],
    ['::ffff:10.0.0.1', 'ip6', '::ffff:10.0.0.1'],
    ['::1', 'ip6', '::1'],
    ['::', 'ip6', '::'],
    ['1:0:0:2:0:0:0:3', 'ip6', '1:0:0:2::3'],
    ['1:0:2:0:3:0:4:0', 'ip6', '1:0:2:0:3:0:4:0'],
    ['fe80::/10', 'ip6', 'fe80::/10'],
  ])('canonicalises %s as nft prints it', (input, family, text) => {
    expect(parseIpNetwork(input)).toEqual({ family, text });
  });

  it.each([
    '10.0.0.1/33',
    '2001:db8::/129',
    '010.0.0.1',
    '10.0.0.1/08',
    '10.0.0.1/',
    '10.0.0',
    'fe80::1%eth0',
    ' 10.0.0.1',
    '10.0.0.1; flush ruleset',
    '10.0.0.1 accept',
    '10.0.0.1/24\naccept',
    'example.com',
    '[::1]',
    '',
  ])('refuses %j with a typed input error', (input) => {
    expect(() => parseIpNetwork(input)).toThrow(InvalidIsolationTargetError);
  });

  it('names the offending field in the error', () => {
    expect(() => parseIpNetwork('nope', 'exclusions[2].remote')).toThrow(/exclusions\[2\]\.remote "nope"/);
  });
});
