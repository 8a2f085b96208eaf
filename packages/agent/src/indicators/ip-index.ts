import type { IndicatorAction } from '@quell/core';
import { parseIpNetwork } from '../firewall/ip-address.js';
import type { PrecedenceChains } from './precedence-chains.js';
import type { IpFamily } from './ip-ranges.js';

/**
 * How an IP indicator takes part in enforcement. nftables evaluates the tiers in this order for
 * each address (see `ioc-ruleset.ts`): the first tier containing the address decides, `allow` and
 * `audit` tiers let it through, `block` tiers drop it. That order is the precedence of the core
 * vocabulary (group scope first, then allow > block > audit), so overlapping CIDRs of different
 * indicators resolve in the kernel exactly as a lookup here would. An all-devices audit never
 * changes traffic, so it has no tier.
 */
export const IP_TIERS = ['group_allow', 'group_block', 'group_audit', 'all_allow', 'all_block'] as const;
export type IpTier = (typeof IP_TIERS)[number];

/** Whether addresses in the tier are dropped (the others are let through). */
export const IP_TIER_DROPS: Record<IpTier, boolean> = {
  group_allow: false,
  group_block: true,
  group_audit: false,
  all_allow: false,
  all_block: true,
};

const GROUP_TIER: Record<IndicatorAction, IpTier> = {
  allow: 'group_allow',
  audit: 'group_audit',
  block: 'group_block',
  block_and_remediate: 'group_block',
};
const ALL_TIER: Record<IndicatorAction, IpTier | null> = {
  allow: 'all_allow',
  audit: null,
  block: 'all_block',
  block_and_remediate: 'all_block',
};

export function ipTierOf(groupScoped: boolean, action: IndicatorAction): IpTier | null {
  return groupScoped ? GROUP_TIER[action] : ALL_TIER[action];
}

export const IP_FAMILIES = ['ip', 'ip6'] as const satisfies readonly IpFamily[];
const WIDTH: Record<IpFamily, number> = { ip: 32, ip6: 128 };

/**
 * IP and CIDR indicators by canonical value. Lookups try every prefix length in use for the
 * family (at most 33 or 129 map probes): simple and enough for the agent's in-memory checks, since
 * traffic itself is matched by the kernel's interval sets. Also keeps, per tier and family, the
 * CIDRs to load into nftables (with counts: two indicators may share a value).
 */
export class IpIndex {
  private readonly values = new Map<string, number>();
  private readonly prefixCount: Record<IpFamily, Int32Array> = {
    ip: new Int32Array(33),
    ip6: new Int32Array(129),
  };
  private readonly tiers = new Map<string, Map<string, number>>();
  /** Bumped on every change to a tier's members, so enforcement knows when to recompute. */
  revision = 0;

  constructor(private readonly chains: PrecedenceChains) {}

  get size(): number {
    return this.values.size;
  }

  add(value: string, r: number, tier: IpTier | null): void {
    const head = this.values.get(value);
    if (head === undefined) this.prefixCount[familyOf(value)][prefixOf(value)]!++;
    this.values.set(value, this.chains.link(head ?? -1, r));
    if (tier === null) return;
    const members = this.tierMembers(tier, familyOf(value));
    members.set(value, (members.get(value) ?? 0) + 1);
    this.revision++;
  }

  remove(value: string, r: number, tier: IpTier | null): void {
    const head = this.chains.unlink(this.values.get(value) ?? -1, r);
    if (head < 0) {
      this.values.delete(value);
      this.prefixCount[familyOf(value)][prefixOf(value)]!--;
    } else this.values.set(value, head);
    if (tier === null) return;
    const members = this.tierMembers(tier, familyOf(value));
    const n = (members.get(value) ?? 1) - 1;
    if (n > 0) members.set(value, n);
    else members.delete(value);
    this.revision++;
  }

  /** Best indicator whose address or CIDR contains `address`, or -1 (also for a non-address). */
  lookup(address: string, now: number): number {
    let family: IpFamily;
    if (address.includes('/')) return -1;
    try {
      family = parseIpNetwork(address).family;
    } catch {
      return -1;
    }
    let best = -1;
    const counts = this.prefixCount[family];
    for (let len = WIDTH[family]; len >= 0; len--) {
      if (counts[len] === 0) continue;
      const head = this.values.get(parseIpNetwork(`${address}/${len}`).text);
      if (head !== undefined) best = this.chains.better(best, this.chains.winner(head, now));
    }
    return best;
  }

  /** The CIDRs of a tier (nested ones included; see `disjointBlocks`). */
  members(tier: IpTier, family: IpFamily): IterableIterator<string> {
    return this.tierMembers(tier, family).keys();
  }

  private tierMembers(tier: IpTier, family: IpFamily): Map<string, number> {
    const key = `${tier}/${family}`;
    let m = this.tiers.get(key);
    if (!m) this.tiers.set(key, (m = new Map()));
    return m;
  }
}

function familyOf(value: string): IpFamily {
  return value.includes(':') ? 'ip6' : 'ip';
}

function prefixOf(value: string): number {
  const slash = value.indexOf('/');
  return slash < 0 ? WIDTH[familyOf(value)] : Number(value.slice(slash + 1));
}
