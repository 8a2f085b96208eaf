import { validateTableName } from '../../firewall/isolation-ruleset.js';
import { InvalidIocTargetError } from '../indicators.errors.js';
import { IP_TIERS, IP_TIER_DROPS, type IpTier } from '../ip-index.js';
import type { IpFamily } from '../ip-ranges.js';

/** Indicators' own nftables table: separate from isolation's `inet quell`, so neither rewrites the other. */
export const DEFAULT_IOC_TABLE = 'quell_ioc';

/**
 * Sets per enforcement tier and family: `<tier>4` holds single addresses (a hash set), `<tier>_net4`
 * CIDRs (an interval set). Split because nft 1.0 reads every element of an interval set back
 * into userspace before changing it (seconds at 100,000 elements), while adding to or deleting
 * from a hash set costs milliseconds however large it is; single addresses are the bulk of
 * feeds. `mgmt4`/`mgmt6` hold the management server's addresses.
 */
export type IocSetName = `${IpTier}${4 | 6}` | `${IpTier}_net${4 | 6}` | `mgmt${4 | 6}`;
export const IOC_SET_NAMES: readonly IocSetName[] = [
  'mgmt4',
  'mgmt6',
  ...IP_TIERS.flatMap((t) => [`${t}4`, `${t}_net4`, `${t}6`, `${t}_net6`] as const),
];

export function setName(tier: IpTier | 'mgmt', family: IpFamily, networks = false): IocSetName {
  const suffix = family === 'ip' ? 4 : 6;
  if (tier === 'mgmt') return `mgmt${suffix}`;
  return networks ? `${tier}_net${suffix}` : `${tier}${suffix}`;
}

/** Whether a set holds CIDRs (`flags interval`). */
export function isIntervalSet(name: IocSetName): boolean {
  return name.startsWith('mgmt') || name.includes('_net');
}

/** What the table must hold. */
export interface IocTarget {
  /**
   * Elements per set: canonical addresses, or CIDRs pairwise disjoint within an interval set (see
   * `disjointBlocks`), in address order.
   */
  sets: Record<IocSetName, readonly string[]>;
  /** DNS redirection to the agent's filter, or null while no name is blocked. */
  dnsRedirect: DnsRedirect | null;
}

export interface DnsRedirect {
  /** Local port the filter listens on (127.0.0.1 and, when `ipv6`, ::1). */
  port: number;
  /** Owner of the filter's own sockets, whose queries to the real resolvers must not loop back. */
  uid: number;
  /** Whether the filter listens on ::1 too; else IPv6 DNS is left alone rather than broken. */
  ipv6: boolean;
}

/**
 * Priority `filter - 5`: like isolation, ahead of the usual filter chains. A drop is final in
 * any base chain, so ordering against other tables cannot undo a block.
 */
const PRIORITY = 'filter - 5';
/** `dstnat` for output, as nft prints it in an inet table. */
const NAT_PRIORITY = '-100';
/** Elements per `add element` statement: keeps each under the parser's comfortable line size. */
export const ELEMENT_CHUNK = 4096;

/**
 * The table definition without elements, exactly as `nft -t list table` prints it, so a read-back
 * can be compared with it after stripping elements. Per address, `check_*` walks the tiers in
 * precedence order (see `IP_TIERS`): `return` lets the address through, `drop` blocks it.
 * Loopback and the management addresses are accepted before any check, so no indicator can cut
 * the agent's channel or the DNS filter on 127.0.0.1.
 */
export function buildIocSkeleton(target: IocTarget, table = DEFAULT_IOC_TABLE): string {
  validateTableName(table);
  const sets = IOC_SET_NAMES.map(
    (name) =>
      `\tset ${name} {\n\t\ttype ${name.endsWith('4') ? 'ipv4_addr' : 'ipv6_addr'}\n` +
      (isIntervalSet(name) ? '\t\tflags interval\n' : '') +
      '\t}\n',
  );
  const check = (dir: 'saddr' | 'daddr') =>
    IP_TIERS.flatMap((tier) => {
      const verdict = IP_TIER_DROPS[tier] ? 'drop' : 'return';
      return [
        `ip ${dir} @${tier}4 ${verdict}`,
        `ip ${dir} @${tier}_net4 ${verdict}`,
        `ip6 ${dir} @${tier}6 ${verdict}`,
        `ip6 ${dir} @${tier}_net6 ${verdict}`,
      ];
    });
  const chains: [string, string | null, string[]][] = [
    ['check_saddr', null, check('saddr')],
    ['check_daddr', null, check('daddr')],
    [
      'input',
      `type filter hook input priority ${PRIORITY}; policy accept;`,
      ['iif "lo" accept', 'ip saddr @mgmt4 accept', 'ip6 saddr @mgmt6 accept', 'jump check_saddr'],
    ],
    [
      'output',
      `type filter hook output priority ${PRIORITY}; policy accept;`,
      ['oif "lo" accept', 'ip daddr @mgmt4 accept', 'ip6 daddr @mgmt6 accept', 'jump check_daddr'],
    ],
    [
      'forward',
      `type filter hook forward priority ${PRIORITY}; policy accept;`,
      ['jump check_saddr', 'jump check_daddr'],
    ],
  ];
  const r = target.dnsRedirect;
  if (r) {
    checkInt(r.port, 1, 65535, 'DNS filter port');
    checkInt(r.uid, 0, 2 ** 32 - 2, 'DNS filter uid');
    // The filter's own upstream queries (sockets owned by its uid) and local resolvers (a stub
    // on 127.0.0.53 forwards upstream itself, and is caught there) are not redirected.
    const rules = [`meta skuid ${r.uid} return`, 'ip daddr 127.0.0.0/8 return', 'ip6 daddr ::1 return'];
    const families = r.ipv6 ? ['ipv4', 'ipv6'] : ['ipv4'];
    for (const f of families)
      rules.push(`meta nfproto ${f} meta l4proto { tcp, udp } th dport 53 redirect to :${r.port}`);
    chains.push(['dns_redirect', `type nat hook output priority ${NAT_PRIORITY}; policy accept;`, rules]);
  }
  const chainText = chains.map(
    ([name, head, rules]) =>
      `\tchain ${name} {\n` +
      (head ? `\t\t${head}\n` : '') +
      rules.map((rule) => `\t\t${rule}\n`).join('') +
      '\t}\n',
  );
  return `table inet ${table} {\n${[...sets, ...chainText].join('\n')}}\n`;
}

/** One `nft -f -` transaction replacing the whole table, elements included. */
export function buildIocScript(target: IocTarget, table = DEFAULT_IOC_TABLE): string {
  const parts = [`table inet ${table} {}\ndelete table inet ${table}\n`, buildIocSkeleton(target, table)];
  for (const name of IOC_SET_NAMES) parts.push(elementLines('add', table, name, target.sets[name]));
  return parts.join('');
}

/**
 * One transaction turning the elements of `from` into those of `to` (same skeleton): deletions
 * first, so an address moving between CIDRs never overlaps inside a set. Empty when nothing
 * differs. It fails as a whole if the kernel lost an element meanwhile (tampering); the caller
 * then rebuilds the table.
 */
export function buildIocElementDelta(from: IocTarget, to: IocTarget, table = DEFAULT_IOC_TABLE): string {
  validateTableName(table);
  const dels: string[] = [];
  const adds: string[] = [];
  for (const name of IOC_SET_NAMES) {
    const before = new Set(from.sets[name]);
    const after = new Set(to.sets[name]);
    dels.push(
      elementLines(
        'delete',
        table,
        name,
        [...before].filter((e) => !after.has(e)),
      ),
    );
    adds.push(
      elementLines(
        'add',
        table,
        name,
        [...after].filter((e) => !before.has(e)),
      ),
    );
  }
  return dels.join('') + adds.join('');
}

/** The `nft -f -` input that removes the table, succeeding also when it is already gone. */
export function buildIocRemovalScript(table = DEFAULT_IOC_TABLE): string {
  validateTableName(table);
  return `table inet ${table} {}\ndelete table inet ${table}\n`;
}

/** Whether two targets need the same skeleton (so only elements differ). */
export function sameSkeleton(a: IocTarget, b: IocTarget): boolean {
  const x = a.dnsRedirect;
  const y = b.dnsRedirect;
  return x === y || (x !== null && y !== null && x.port === y.port && x.uid === y.uid && x.ipv6 === y.ipv6);
}

export function emptySets(): Record<IocSetName, string[]> {
  return Object.fromEntries(IOC_SET_NAMES.map((n) => [n, []])) as unknown as Record<IocSetName, string[]>;
}

function elementLines(
  verb: 'add' | 'delete',
  table: string,
  set: IocSetName,
  elements: readonly string[],
): string {
  let out = '';
  for (let i = 0; i < elements.length; i += ELEMENT_CHUNK)
    out += `${verb} element inet ${table} ${set} { ${elements.slice(i, i + ELEMENT_CHUNK).join(', ')} }\n`;
  return out;
}

function checkInt(v: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < min || v > max)
    throw new InvalidIocTargetError(`${what} must be an integer ${min}-${max}`, { [what]: v });
}
