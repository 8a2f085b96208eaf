import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { cidrContains, formatIp, IP_WIDTH, normalizeIp, parseIpLenient, type IpFamily } from './ip.js';

/** Fixed seeds: a property test that fails must fail again on the next run. */
const runs = { seed: 20_240_401, numRuns: 400 };

describe('IP indicator values', () => {
  it.each([
    ['ipv4', ' 192.0.2.1 ', '192.0.2.1'],
    ['ipv4', '192.0.2.1/32', '192.0.2.1'],
    ['ipv4', '10.0.0.0/8', '10.0.0.0/8'],
    ['ipv4', '0.0.0.0', '0.0.0.0'],
    ['ipv6', '2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['ipv6', '2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['ipv6', '2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['ipv6', '::', '::'],
    ['ipv6', '::1/128', '::1'],
    ['ipv6', '2001:db8::/32', '2001:db8::/32'],
    ['ipv6', '::192.0.2.1', '::c000:201'],
  ] as const)('normalises %s %j to %j', (type, raw, want) => {
    expect(normalizeIp(type, raw)).toBe(want);
  });

  it.each([
    ['ipv4', '192.0.2', /four decimal numbers/],
    ['ipv4', '192.0.2.256', /256 is over 255/],
    ['ipv4', '192.0.2.01', /leading zero/],
    ['ipv4', '10.1.2.3/8', /host bits are set after \/8; write 10\.0\.0\.0\/8 for the block or 10\.1\.2\.3/],
    ['ipv4', '10.0.0.0/33', /prefix "\/33" must be a number from 0 to 32/],
    ['ipv4', '0.0.0.0/0', /covers every address/],
    ['ipv4', '2001:db8::1', /IPv6 address; use type ipv6/],
    ['ipv4', '', /empty/],
    ['ipv6', '192.0.2.1', /IPv4 address; use type ipv4/],
    ['ipv6', '1::2::3', /"::" may appear only once/],
    ['ipv6', '1:2:3:4:5:6:7', /7 groups/],
    ['ipv6', 'fe80::1%eth0', /zone id/],
    ['ipv6', '2001:db8::g', /"g" is not a group/],
    ['ipv6', '::ffff:192.0.2.1', /IPv4-mapped address; add it as ipv4 192\.0\.2\.1/],
    ['ipv6', '2001:db8::1/32', /write 2001:db8::\/32 for the block/],
  ] as const)('rejects %s %j with a reason', (type, raw, reason) => {
    expect(() => normalizeIp(type, raw)).toThrow(InputError);
    expect(() => normalizeIp(type, raw)).toThrow(reason);
  });

  it('is idempotent and keeps the address, for every IPv4 and IPv6 form', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (raw) => {
        const type = raw.includes(':') ? 'ipv6' : 'ipv4';
        let once: string;
        try {
          once = normalizeIp(type, raw);
        } catch (e) {
          // Only IPv4-mapped IPv6 addresses are refused among well-formed addresses.
          expect(String(e)).toMatch(/IPv4-mapped/);
          return;
        }
        expect(normalizeIp(type, once)).toBe(once);
        expect(parseIpLenient(once)?.bits).toBe(parseIpLenient(raw)?.bits);
      }),
      runs,
    );
  });
});

const family = fc.constantFrom<IpFamily>(4, 6);
const addressIn = (f: IpFamily) => fc.bigInt({ min: 0n, max: (1n << BigInt(IP_WIDTH[f])) - 1n });

describe('cidrContains', () => {
  it('covers every address of a block and nothing that differs inside the prefix', () => {
    fc.assert(
      fc.property(
        family.chain((f) =>
          fc.tuple(fc.constant(f), addressIn(f), fc.integer({ min: 1, max: IP_WIDTH[f] }), fc.nat()),
        ),
        ([f, bits, prefix, flip]) => {
          const width = IP_WIDTH[f];
          const hostMask = (1n << BigInt(width - prefix)) - 1n;
          const block = normalizeIp(f === 4 ? 'ipv4' : 'ipv6', `${formatIp(f, bits & ~hostMask)}/${prefix}`);
          expect(cidrContains(block, formatIp(f, bits))).toBe(true);
          const outside = bits ^ (1n << BigInt(width - 1 - (flip % prefix)));
          expect(cidrContains(block, formatIp(f, outside))).toBe(false);
          // A narrower block around the same address lies inside it; a wider one does not.
          expect(cidrContains(block, `${formatIp(f, bits)}/${width}`)).toBe(true);
          if (prefix > 1) expect(cidrContains(block, `${formatIp(f, bits)}/${prefix - 1}`)).toBe(false);
        },
      ),
      runs,
    );
  });

  it.each([
    ['10.0.0.0/8', '10.255.0.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['192.0.2.7', '192.0.2.7', true],
    ['192.0.2.0/24', '::ffff:192.0.2.9', true],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '10.0.0.1', false],
    ['10.0.0.0/8', 'not an address', false],
  ] as const)('%s contains %s: %s', (cidr, ip, want) => {
    expect(cidrContains(cidr, ip)).toBe(want);
  });
});
