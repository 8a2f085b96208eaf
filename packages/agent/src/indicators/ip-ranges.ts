/**
 * Address arithmetic on the canonical text that `parseIpNetwork` prints, for the two things the
 * agent needs beyond parsing: turning a set of CIDRs into disjoint elements for an nft interval set,
 * and masking an address to a prefix for in-memory lookups.
 */

export type IpFamily = 'ip' | 'ip6';

export interface IpBlock {
  family: IpFamily;
  bytes: Uint8Array;
  prefix: number;
  /** Canonical text (`10.0.0.0/8`, `2001:db8::1`). */
  text: string;
}

/** Parses canonical text (as printed by `parseIpNetwork`) into bytes and prefix. */
export function parseBlock(text: string): IpBlock {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family: IpFamily = addr.includes(':') ? 'ip6' : 'ip';
  const bytes = family === 'ip' ? v4Bytes(addr) : v6Bytes(addr);
  const prefix = slash < 0 ? bytes.length * 8 : Number(text.slice(slash + 1));
  return { family, bytes, prefix, text };
}

function v4Bytes(addr: string): Uint8Array {
  return Uint8Array.from(addr.split('.').map(Number));
}

function v6Bytes(addr: string): Uint8Array {
  const out = new Uint8Array(16);
  let text = addr;
  let v4Tail: Uint8Array | null = null;
  if (text.includes('.')) {
    const lastColon = text.lastIndexOf(':');
    v4Tail = v4Bytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left = '', right] = text.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const words = [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  if (v4Tail) out.set(v4Tail, 12);
  return out;
}

/** Whether block `outer` contains block `inner` (same family). */
export function contains(outer: IpBlock, inner: IpBlock): boolean {
  if (outer.prefix > inner.prefix) return false;
  const full = outer.prefix >> 3;
  for (let i = 0; i < full; i++) if (outer.bytes[i] !== inner.bytes[i]) return false;
  const rest = outer.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (outer.bytes[full]! & mask) === (inner.bytes[full]! & mask);
}

function compareBlocks(a: IpBlock, b: IpBlock): number {
  for (let i = 0; i < a.bytes.length; i++) {
    const d = a.bytes[i]! - b.bytes[i]!;
    if (d !== 0) return d;
  }
  return a.prefix - b.prefix;
}

/**
 * The CIDRs of `texts` that no other one of them contains, in address order. Prefixes are either
 * nested or disjoint, so what remains never overlaps: nft accepts it in an interval set without
 * `auto-merge`, and every element stays individually deletable (auto-merge would fuse
 * neighbours and make later deletions fail or remove too much).
 */
export function disjointBlocks(texts: Iterable<string>): string[] {
  const blocks = [...texts].map(parseBlock).sort(compareBlocks);
  const out: string[] = [];
  let last: IpBlock | null = null;
  for (const b of blocks) {
    // Sorted by address then prefix, an enclosing block always comes before what it contains.
    if (last && contains(last, b)) continue;
    out.push(b.text);
    last = b;
  }
  return out;
}
