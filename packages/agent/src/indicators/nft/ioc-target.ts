import { parseIpNetwork } from '../../firewall/ip-address.js';
import type { IndicatorStore } from '../indicator-store.js';
import { IP_FAMILIES, IP_TIERS } from '../ip-index.js';
import { disjointBlocks } from '../ip-ranges.js';
import { emptySets, setName, type DnsRedirect, type IocTarget } from './ioc-ruleset.js';

export interface IocTargetSourceOptions {
  store: IndicatorStore;
  /** Management server addresses (config or resolved), never blocked. Read on every call. */
  management: () => readonly string[];
  /** The DNS filter's redirect while it runs, else null. Read on every call. */
  dnsRedirect: () => DnsRedirect | null;
}

/**
 * Turns the store's IP indicators, the management addresses and the DNS filter state into the
 * desired table. Cached: the reconciler asks every couple of seconds and recomputing disjoint
 * sets of 100,000 addresses each time would cost an idle agent real CPU, so a new target is
 * built only when one of the inputs changed (the store's IP revision, the addresses, the
 * redirect). Identity then tells the reconciler nothing changed.
 */
export class IocTargetSource {
  private cached: { key: string; revision: number; target: IocTarget | null } | null = null;

  constructor(private readonly opts: IocTargetSourceOptions) {}

  /** The desired table, or null when there is nothing to enforce (the table is then removed). */
  current(): IocTarget | null {
    const { store } = this.opts;
    const management = this.opts.management();
    const redirect = this.opts.dnsRedirect();
    const key = JSON.stringify([management, redirect]);
    if (this.cached?.key === key && this.cached.revision === store.ipRevision) return this.cached.target;
    const sets = emptySets();
    let addresses = 0;
    for (const tier of IP_TIERS)
      for (const family of IP_FAMILIES) {
        const members = store.ipTierMembers(tier, family);
        addresses += members.length;
        // Hash sets take single addresses in any order; only interval sets need disjoint, sorted CIDRs.
        sets[setName(tier, family)] = members.filter((m) => !m.includes('/'));
        sets[setName(tier, family, true)] = disjointBlocks(members.filter((m) => m.includes('/')));
      }
    const mgmt = management.map((a) => parseIpNetwork(a, 'management address'));
    for (const family of IP_FAMILIES)
      sets[setName('mgmt', family)] = disjointBlocks(
        mgmt.filter((m) => m.family === family).map((m) => m.text),
      );
    const target = addresses === 0 && redirect === null ? null : { sets, dnsRedirect: redirect };
    this.cached = { key, revision: store.ipRevision, target };
    return target;
  }
}
