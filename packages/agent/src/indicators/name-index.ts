import type { PrecedenceChains } from './precedence-chains.js';

/**
 * Domain and URL indicators by value. A domain covers itself and every subdomain, so a lookup
 * walks the name's suffixes (`a.b.example.com`, `b.example.com`, `example.com`, `com`): O(labels)
 * map probes, whatever the number of indicators. Every indicator that covers the name competes
 * by precedence (not by which suffix is longest), as the core vocabulary defines.
 *
 * URL indicators are also indexed by host, for the DNS filter: a resolver sees names, not paths,
 * so a blocked URL can only be enforced by refusing its host (see docs/indicators-agent.md).
 */
export class NameIndex {
  private readonly domains = new Map<string, number>();
  private readonly urls = new Map<string, number>();
  private readonly urlHosts = new Map<string, number[]>();

  constructor(private readonly chains: PrecedenceChains) {}

  get domainCount(): number {
    return this.domains.size;
  }

  addDomain(domain: string, r: number): void {
    this.domains.set(domain, this.chains.link(this.domains.get(domain) ?? -1, r));
  }

  removeDomain(domain: string, r: number): void {
    const head = this.chains.unlink(this.domains.get(domain) ?? -1, r);
    if (head < 0) this.domains.delete(domain);
    else this.domains.set(domain, head);
  }

  addUrl(url: string, host: string, r: number): void {
    this.urls.set(url, this.chains.link(this.urls.get(url) ?? -1, r));
    const list = this.urlHosts.get(host);
    if (list) list.push(r);
    else this.urlHosts.set(host, [r]);
  }

  removeUrl(url: string, host: string, r: number): void {
    const head = this.chains.unlink(this.urls.get(url) ?? -1, r);
    if (head < 0) this.urls.delete(url);
    else this.urls.set(url, head);
    const list = this.urlHosts.get(host) ?? [];
    const i = list.indexOf(r);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.urlHosts.delete(host);
  }

  /** Best domain indicator covering `host` (already lower-case, no trailing dot), or -1. */
  lookupDomain(host: string, now: number): number {
    let best = -1;
    for (let at = 0; at >= 0;) {
      const head = this.domains.get(at === 0 ? host : host.slice(at));
      if (head !== undefined) best = this.chains.better(best, this.chains.winner(head, now));
      const dot = host.indexOf('.', at);
      at = dot < 0 ? -1 : dot + 1;
    }
    return best;
  }

  /**
   * Best indicator for a canonical URL: the URL itself, the same URL without its query (an
   * indicator without a query covers every query), and the domains covering its host.
   */
  lookupUrl(url: string, host: string, now: number): number {
    let best = this.lookupDomain(host, now);
    const exact = this.urls.get(url);
    if (exact !== undefined) best = this.chains.better(best, this.chains.winner(exact, now));
    const q = url.indexOf('?');
    const bare = q < 0 ? undefined : this.urls.get(url.slice(0, q));
    if (bare !== undefined) best = this.chains.better(best, this.chains.winner(bare, now));
    return best;
  }

  /** What decides a DNS query for `name`: covering domains and URLs on exactly that host. */
  lookupDnsName(name: string, now: number): number {
    let best = this.lookupDomain(name, now);
    for (const r of this.urlHosts.get(name) ?? [])
      best = this.chains.better(best, this.chains.inForce(r, now));
    return best;
  }
}
