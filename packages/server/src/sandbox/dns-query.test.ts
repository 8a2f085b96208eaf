import { describe, expect, it } from 'vitest';
import { parseDnsQuery } from './dns-query.js';

/** A query for `name` of record type `type` (RFC 1035 wire format). */
function query(name: string, type: number, flags = 0x0100): Buffer {
  const header = Buffer.from([0x12, 0x34, flags >> 8, flags & 0xff, 0, 1, 0, 0, 0, 0, 0, 0]);
  const labels = name
    .split('.')
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  return Buffer.concat([header, ...labels, Buffer.from([0, type >> 8, type & 0xff, 0, 1])]);
}

describe('DNS query reading', () => {
  it.each([
    ['update.evil.example', 1, 'A'],
    ['c2.example', 28, 'AAAA'],
    ['_ldap._tcp.corp.example', 33, 'SRV'],
    ['x.example', 99, 'TYPE99'],
  ])('reads %s of type %i', (name, type, typeName) => {
    expect(parseDnsQuery(query(name, type))).toEqual({ name, type: typeName });
  });

  it('reads DNS over TCP after the length prefix', () => {
    const q = query('tcp.example', 16);
    const framed = Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);
    expect(parseDnsQuery(framed, true)).toEqual({ name: 'tcp.example', type: 'TXT' });
  });

  it('escapes bytes that are not printable', () => {
    expect(parseDnsQuery(query('a\x01b.example', 1))?.name).toBe('a\\001b.example');
  });

  it.each([
    ['a response', query('x.example', 1, 0x8180)],
    ['a cut-off packet', query('cut.example', 1).subarray(0, 20)],
    [
      'a compression pointer',
      Buffer.concat([query('x', 1).subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]),
    ],
    ['too few bytes for a header', Buffer.from([1, 2, 3])],
  ])('rejects %s', (_what, packet) => {
    expect(parseDnsQuery(packet)).toBeNull();
  });
});
