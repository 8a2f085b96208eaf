/** A DNS question read from a query packet. */
export interface DnsQuestion {
  name: string;
  /** `A`, `AAAA`… or `TYPE<n>` for others. */
  type: string;
}

const TYPES: Record<number, string> = {
  1: 'A',
  2: 'NS',
  5: 'CNAME',
  6: 'SOA',
  12: 'PTR',
  15: 'MX',
  16: 'TXT',
  28: 'AAAA',
  33: 'SRV',
  65: 'HTTPS',
  255: 'ANY',
};

/**
 * Reads the first question of a DNS query (RFC 1035 §4.1). `tcp` skips the two-byte length
 * prefix of DNS over TCP. Returns null for anything that is not a well-formed query: the bytes
 * come from the sample, and strace may have cut them at `-s`.
 */
export function parseDnsQuery(packet: Uint8Array, tcp = false): DnsQuestion | null {
  const buf = Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength).subarray(tcp ? 2 : 0);
  if (buf.length < 12) return null;
  const flags = buf.readUInt16BE(2);
  const isResponse = (flags & 0x8000) !== 0;
  const questions = buf.readUInt16BE(4);
  if (isResponse || questions < 1) return null;
  const labels: string[] = [];
  let i = 12;
  let length = 0;
  for (;;) {
    const n = buf[i];
    if (n === undefined) return null;
    if (n === 0) break;
    // Compression pointers and extended label types have no place in a question.
    if (n > 63) return null;
    const label = buf.subarray(i + 1, i + 1 + n);
    if (label.length < n) return null;
    labels.push(label.toString('latin1'));
    length += n + 1;
    if (length > 255) return null;
    i += n + 1;
  }
  if (i + 5 > buf.length) return null;
  const code = buf.readUInt16BE(i + 1);
  const name = labels.join('.');
  // Names carry bytes, not text; escape the unprintable ones so evidence stays readable.
  const printable = name.replace(
    /[^\x21-\x7e]/g,
    (c) => `\\${c.charCodeAt(0).toString(10).padStart(3, '0')}`,
  );
  return { name: printable || '.', type: TYPES[code] ?? `TYPE${code}` };
}
