/** Parsing of /proc/net/{tcp,tcp6,udp,udp6}: pure functions, tested against kernel samples. */

export const SOCKET_TABLES = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
export type SocketTable = (typeof SOCKET_TABLES)[number];

/** include/net/tcp_states.h. UDP reuses the codes: 07 is an unconnected (listening) socket. */
const TCP_STATES: Readonly<Record<string, string>> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'NEW_SYN_RECV',
};

export interface SocketRow {
  proto: SocketTable;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: string;
  uid: number;
  inode: number;
}

/** One 32-bit word as the kernel prints it: host byte order (little-endian on the hosts we run). */
function wordBytes(hex8: string): number[] {
  const n = parseInt(hex8, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** `0100007F` → 127.0.0.1; 32 hex digits → a compressed IPv6 address (IPv4-mapped shown dotted). */
export function decodeAddress(hex: string): string {
  if (hex.length === 8) return wordBytes(hex).join('.');
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8)));
  const isMapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return `::ffff:${bytes.slice(12).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  return compressV6(groups);
}

/** RFC 5952: the longest run (≥2) of zero groups becomes `::`. */
function compressV6(groups: number[]): string {
  let best = { at: -1, len: 0 };
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.len < 2) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

function decodeEndpoint(field: string): { address: string; port: number } | null {
  const [addr, port] = field.split(':');
  if (!addr || !port || (addr.length !== 8 && addr.length !== 32)) return null;
  return { address: decodeAddress(addr), port: parseInt(port, 16) };
}

/** Parses one table's text; malformed lines are skipped (the header, or a kernel we do not know). */
export function parseSocketTable(proto: SocketTable, text: string): SocketRow[] {
  const rows: SocketRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = decodeEndpoint(f[1]!);
    const remote = decodeEndpoint(f[2]!);
    if (!local || !remote) continue;
    const code = f[3]!.toUpperCase();
    const udp = proto.startsWith('udp');
    const state = udp && code === '07' ? 'UNCONN' : (TCP_STATES[code] ?? code);
    rows.push({
      proto,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state,
      uid: Number(f[7]),
      inode: Number(f[9]),
    });
  }
  return rows;
}
