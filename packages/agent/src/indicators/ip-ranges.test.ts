import { describe, expect, it } from 'vitest';
import { disjointBlocks, parseBlock } from './ip-ranges.js';

describe('disjointBlocks', () => {
  it.each([
    [
      ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3', '192.0.2.1'],
      ['10.0.0.0/8', '192.0.2.1'],
    ],
    [
      ['10.0.0.128/25', '10.0.0.0/25'],
      ['10.0.0.0/25', '10.0.0.128/25'],
    ],
    [
      ['2001:db8::/32', '2001:db8:1::5', '::ffff:1.2.3.4', '2001:db9::/32'],
      ['::ffff:1.2.3.4', '2001:db8::/32', '2001:db9::/32'],
    ],
    [[], []],
  ])('reduces %j to %j (nested ones dropped, address order)', (input, want) => {
    expect(disjointBlocks(input)).toEqual(want);
  });

  it('reads IPv6 with an embedded IPv4 tail', () => {
    expect(Array.from(parseBlock('::ffff:1.2.3.4').bytes.slice(10))).toEqual([0xff, 0xff, 1, 2, 3, 4]);
    expect(parseBlock('2001:db8::/32')).toMatchObject({ family: 'ip6', prefix: 32 });
  });
});
