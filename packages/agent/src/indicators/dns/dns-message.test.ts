import { describe, expect, it } from 'vitest';
import {
  blockedResponse,
  buildQuery,
  errorResponse,
  parseQuery,
  tcpFrame,
  TcpFrameReader,
  withId,
} from './dns-message.js';

/** A standard query as a stub resolver sends it (RD set). */
function query(name: string, qtype = 1, id = 0xbeef): Buffer {
  const labels = name
    .split('.')
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  return Buffer.concat([
    Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels,
    Buffer.from([0, qtype >> 8, qtype & 0xff, 0, 1]),
  ]);
}

describe('DNS messages', () => {
  it('builds the same query a stub resolver sends (the filter self-test)', () => {
    expect(buildQuery(0xbeef, 'quell-dns-filter-probe.invalid', 1)).toEqual(
      query('quell-dns-filter-probe.invalid', 1, 0xbeef),
    );
    expect(parseQuery(buildQuery(7, 'a.b.invalid', 28))).toMatchObject({
      id: 7,
      name: 'a.b.invalid',
      qtype: 28,
    });
  });

  it('reads the question of a query, lower-casing the name', () => {
    const q = query('WWW.Evil.Test', 28);
    expect(parseQuery(q)).toEqual({ id: 0xbeef, name: 'www.evil.test', qtype: 28, qclass: 1, end: q.length });
  });

  it.each([
    [
      'a response',
      (() => {
        const q = query('a.test');
        q[2] = q[2]! | 0x80;
        return q;
      })(),
    ],
    ['a truncated name', query('a.test').subarray(0, 15)],
    ['no question', Buffer.from([0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
    [
      'a compression pointer in the question',
      Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]),
    ],
  ])('refuses %s', (_, msg) => {
    expect(parseQuery(msg)).toBeNull();
  });

  it('answers a blocked name NXDOMAIN with the question echoed, id and RD kept', () => {
    const q = query('evil.test');
    const a = blockedResponse(q, parseQuery(q)!, 'nxdomain');
    expect([a.readUInt16BE(0), a[2]! & 0x81, a[3]! & 0x8f, a.readUInt16BE(4), a.readUInt16BE(6)]).toEqual([
      0xbeef, 0x81, 0x83, 1, 0,
    ]);
    expect(a.subarray(12)).toEqual(q.subarray(12));
  });

  it.each([
    [1, 4],
    [28, 16],
    [16, 0],
  ])('sinkholes type %i with a %i-byte zero address (none for other types)', (qtype, rdlen) => {
    const q = query('evil.test', qtype);
    const a = blockedResponse(q, parseQuery(q)!, 'sinkhole');
    expect(a[3]! & 0x0f).toBe(0);
    expect(a.readUInt16BE(6)).toBe(rdlen ? 1 : 0);
    if (rdlen) {
      expect(a.readUInt16BE(q.length + 10)).toBe(rdlen);
      expect(a.subarray(q.length + 12).every((b) => b === 0)).toBe(true);
    }
  });

  it('builds SERVFAIL answers and rewrites ids', () => {
    const q = query('good.test');
    expect(errorResponse(q, 2, parseQuery(q))[3]! & 0x0f).toBe(2);
    expect(withId(q, 0x1234).readUInt16BE(0)).toBe(0x1234);
    expect(q.readUInt16BE(0)).toBe(0xbeef);
  });

  it('splits a TCP stream into messages wherever the chunks break', () => {
    const stream = Buffer.concat([tcpFrame(query('a.test')), tcpFrame(query('b.test'))]);
    const reader = new TcpFrameReader();
    const got = [stream.subarray(0, 1), stream.subarray(1, 20), stream.subarray(20)].flatMap((c) =>
      reader.push(c),
    );
    expect(got.map((m) => parseQuery(m)?.name)).toEqual(['a.test', 'b.test']);
  });
});
