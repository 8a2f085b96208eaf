/**
 * The few parts of the DNS wire format (RFC 1035) the filter needs: read the header and the
 * question, build a refusal, rewrite the id. Written here rather than taken from a package
 * because none is installed and the filter touches nothing else: answers from upstream pass
 * through byte for byte, only their id changes.
 */

export const DNS_HEADER_BYTES = 12;
export const DNS_RCODES = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3 } as const;
export const DNS_TYPES = { a: 1, aaaa: 28 } as const;
const CLASS_IN = 1;
/** TTL of sinkhole answers: short, so lifting the block shows within a minute in caches. */
const SINKHOLE_TTL = 60;

/** The question of a query. */
export interface DnsQuestion {
  id: number;
  /** Lower-case, dot-separated, no trailing dot (`""` for the root). */
  name: string;
  qtype: number;
  qclass: number;
  /** Offset just past the question: where answers would start. */
  end: number;
}

/**
 * Reads a standard query's header and its single question; null for anything else (a response,
 * another opcode, no or several questions, a malformed name). Label bytes are read as Latin-1, so
 * a name with non-ASCII bytes simply never matches an indicator.
 */
export function parseQuery(msg: Uint8Array): DnsQuestion | null {
  if (msg.length < DNS_HEADER_BYTES) return null;
  const flags = (msg[2]! << 8) | msg[3]!;
  const isResponse = (flags & 0x8000) !== 0;
  const opcode = (flags >> 11) & 0xf;
  const qdcount = (msg[4]! << 8) | msg[5]!;
  if (isResponse || opcode !== 0 || qdcount !== 1) return null;
  const labels: string[] = [];
  let o = DNS_HEADER_BYTES;
  let total = 0;
  for (;;) {
    if (o >= msg.length) return null;
    const len = msg[o]!;
    // Compression pointers and extended label types never appear in a query's only name.
    if (len & 0xc0) return null;
    o++;
    if (len === 0) break;
    if (o + len > msg.length || (total += len + 1) > 255) return null;
    let label = '';
    for (let i = 0; i < len; i++) {
      const c = msg[o + i]!;
      label += String.fromCharCode(c >= 65 && c <= 90 ? c + 32 : c);
    }
    labels.push(label);
    o += len;
  }
  if (o + 4 > msg.length) return null;
  return {
    id: (msg[0]! << 8) | msg[1]!,
    name: labels.join('.'),
    qtype: (msg[o]! << 8) | msg[o + 1]!,
    qclass: (msg[o + 2]! << 8) | msg[o + 3]!,
    end: o + 4,
  };
}

/** The id of any message (query or response) of at least a header's length. */
export function messageId(msg: Uint8Array): number {
  return (msg[0]! << 8) | msg[1]!;
}

/** A copy of `msg` with id `id`. */
export function withId(msg: Uint8Array, id: number): Buffer {
  const out = Buffer.from(msg);
  out[0] = id >> 8;
  out[1] = id & 0xff;
  return out;
}

/**
 * The answer to a blocked name. `nxdomain`: the name does not exist, for every query type.
 * `sinkhole`: A and AAAA get 0.0.0.0 / :: (some clients retry other resolvers on NXDOMAIN but
 * accept an unroutable address), other types an empty NOERROR answer.
 */
export function blockedResponse(query: Uint8Array, q: DnsQuestion, mode: 'nxdomain' | 'sinkhole'): Buffer {
  const sinkholeBytes =
    mode === 'sinkhole' && q.qclass === CLASS_IN
      ? q.qtype === DNS_TYPES.a
        ? 4
        : q.qtype === DNS_TYPES.aaaa
          ? 16
          : 0
      : 0;
  const answer = sinkholeBytes ? 12 + sinkholeBytes : 0;
  const out = Buffer.alloc(q.end + answer);
  header(out, query, mode === 'nxdomain' ? DNS_RCODES.nxDomain : DNS_RCODES.noError);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(sinkholeBytes ? 1 : 0, 6);
  out.set(query.subarray(DNS_HEADER_BYTES, q.end), DNS_HEADER_BYTES);
  if (sinkholeBytes) {
    let o = q.end;
    o = out.writeUInt16BE(0xc000 | DNS_HEADER_BYTES, o); // pointer to the question's name
    o = out.writeUInt16BE(q.qtype, o);
    o = out.writeUInt16BE(CLASS_IN, o);
    o = out.writeUInt32BE(SINKHOLE_TTL, o);
    out.writeUInt16BE(sinkholeBytes, o); // rdata stays zero: 0.0.0.0 or ::
  }
  return out;
}

/** A bare error answer (SERVFAIL when upstream failed, FORMERR for a malformed query), question echoed when readable. */
export function errorResponse(query: Uint8Array, rcode: number, q: DnsQuestion | null): Buffer {
  const out = Buffer.alloc(q ? q.end : DNS_HEADER_BYTES);
  header(out, query, rcode);
  if (q) {
    out.writeUInt16BE(1, 4);
    out.set(query.subarray(DNS_HEADER_BYTES, q.end), DNS_HEADER_BYTES);
  }
  return out;
}

/** Response header: the query's id, opcode and RD bit; QR and RA set; counts zero. */
function header(out: Buffer, query: Uint8Array, rcode: number): void {
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = 0x80 | (query[2]! & 0x79); // QR, opcode and RD from the query
  out[3] = 0x80 | (rcode & 0xf); // RA
}

/** Frames a message for DNS over TCP (two-byte length prefix). */
export function tcpFrame(msg: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + msg.length);
  out.writeUInt16BE(msg.length, 0);
  out.set(msg, 2);
  return out;
}

/**
 * Splits a TCP byte stream into DNS messages. Keeps the unfinished tail between calls.
 */
export class TcpFrameReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns the complete messages now available. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Buffer[] = [];
    while (this.buf.length >= 2) {
      const len = this.buf.readUInt16BE(0);
      if (this.buf.length < 2 + len) break;
      out.push(this.buf.subarray(2, 2 + len));
      this.buf = this.buf.subarray(2 + len);
    }
    return out;
  }
}

/** A standard recursive query for one name (the filter's self-test sends these to itself). */
export function buildQuery(id: number, name: string, qtype = 1): Buffer {
  const labels = name.split('.').filter(Boolean);
  const out = Buffer.alloc(DNS_HEADER_BYTES + labels.reduce((n, l) => n + l.length + 1, 0) + 5);
  out.writeUInt16BE(id & 0xffff, 0);
  out.writeUInt16BE(0x0100, 2); // RD
  out.writeUInt16BE(1, 4);
  let o = DNS_HEADER_BYTES;
  for (const l of labels) {
    out[o++] = l.length;
    o += out.write(l, o, 'latin1');
  }
  out[o++] = 0;
  o = out.writeUInt16BE(qtype, o);
  out.writeUInt16BE(1, o);
  return out;
}
