import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { DnsFilter, type DnsBlockMode, type DnsFilterStats, type DnsMatchEvent } from './dns/dns-filter.js';
import type { RedirectWatchdog } from './dns/redirect-watchdog.js';
import type { SocketBroker } from './dns/socket-broker.js';
import type { DnsUpstream } from './dns/upstreams.js';
import type { IndicatorCounts, IndicatorStore } from './indicator-store.js';
import type { IocFirewall } from './nft/ioc.firewall.js';
import type { DnsRedirect } from './nft/ioc-ruleset.js';
import { IocReconciler, type IocReconcilerOptions, type IocStatus } from './nft/ioc-reconciler.js';
import { IocTargetSource } from './nft/ioc-target.js';

export const DNS_FILTER_STATES = ['off', 'on', 'failed'] as const;
export type DnsFilterState = (typeof DNS_FILTER_STATES)[number];

/** Domain/URL enforcement: the DNS filter and where it listens. */
export interface DnsFilterSettings {
  broker: SocketBroker;
  /** Uid owning the filter's sockets (the broker's), exempted from the redirect. */
  uid: number;
  upstreams: () => readonly DnsUpstream[];
  blockMode?: DnsBlockMode;
  /** Listening port; default any free one. */
  port?: number;
  upstreamTimeoutMs?: number;
  /**
   * Armed while the redirect is in the table: takes it out if the agent dies or hangs, so a dead
   * filter never breaks the device's name resolution. Default none (tests of the filter alone).
   */
  watchdog?: RedirectWatchdog;
  /**
   * The filter is degraded (text: it failed to start, or stopped answering and was taken out of
   * the path) or fine again (null). The runtime raises a device issue with it.
   */
  onProblem?: (text: string | null) => void;
  /** How often the running filter is asked a test query. Default 5000 ms. */
  probeIntervalMs?: number;
  /** Wait for the test answer. Default 1000 ms. Two misses in a row take the filter out. */
  probeTimeoutMs?: number;
}

export interface IndicatorEnforcementStatus {
  version: number | null;
  counts: IndicatorCounts;
  /** The nftables table; null before the first pass. */
  ip: IocStatus | null;
  dns: { state: DnsFilterState; port: number | null; error: string | null; stats: DnsFilterStats | null };
}

export interface IndicatorEnforcementOptions {
  store: IndicatorStore;
  firewall: IocFirewall;
  /** Management server addresses, never blocked. */
  management: () => readonly string[];
  /** Null: domain and URL indicators are held and looked up, not enforced. */
  dns: DnsFilterSettings | null;
  /** Intervals of the table's reconciler. */
  reconciler?: Pick<IocReconcilerOptions, 'intervalMs' | 'idleIntervalMs' | 'fullCheckIntervalMs'>;
  /** A query matched an audit or blocking indicator (raise an alert when `generateAlert`). */
  onDnsMatch?: (e: DnsMatchEvent) => void;
  /** Called after every refresh and on changes the reconciler finds (tampering, failures). */
  onStatus?: (s: IndicatorEnforcementStatus) => void;
  log?: Logger;
  now?: () => number;
}

/** Retry a DNS filter that failed to start after this long. */
const DNS_RETRY_MS = 15_000;

/**
 * Puts the store's network indicators into force (ARCHITECTURE §4, desired state): IP indicators
 * through the `inet quell_ioc` table, kept by an {@link IocReconciler}; domains and URLs through
 * the {@link DnsFilter}, run only while a blocking one exists, with its redirect in the same
 * table. Hash indicators are enforced elsewhere (the exec-control helper reads the SHA-256
 * export; scans call `lookupHash`).
 *
 * Follows the store: every snapshot, delta or expiry triggers a refresh at once, so a change is
 * in force after one `nft` run. Expiries are purged at `nextExpiry`.
 */
export class IndicatorEnforcement {
  private readonly reconciler: IocReconciler;
  private filter: DnsFilter | null = null;
  private redirect: DnsRedirect | null = null;
  private dnsState: DnsFilterState = 'off';
  private dnsError: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private expiryTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private probeMisses = 0;
  private unsubscribe: (() => void) | null = null;
  private running = false;

  constructor(private readonly opts: IndicatorEnforcementOptions) {
    const source = new IocTargetSource({
      store: opts.store,
      management: opts.management,
      dnsRedirect: () => this.redirect,
    });
    this.reconciler = new IocReconciler({
      ...opts.reconciler,
      firewall: opts.firewall,
      desired: () => source.current(),
      onChange: () => this.opts.onStatus?.(this.status()),
      now: opts.now,
    });
  }

  /** Applies what the store holds (after loading it from disk), then follows changes. */
  async start(): Promise<IndicatorEnforcementStatus> {
    if (!this.running) {
      this.running = true;
      this.unsubscribe = this.opts.store.onChange(() => void this.refresh());
      this.reconciler.start();
    }
    return this.refresh();
  }

  /**
   * Brings DNS filtering and the table in line with the store now; resolves with the verified
   * status. Refreshes never overlap.
   */
  refresh(): Promise<IndicatorEnforcementStatus> {
    const next = this.queue.then(() => this.pass());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Stops following the store. The DNS redirect is taken out first (a redirect to a filter that
   * is gone would break every name lookup on the device); IP blocks stay in force, as desired
   * state does while the agent restarts.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const t of [this.expiryTimer, this.retryTimer, this.probeTimer]) if (t) clearTimeout(t);
    this.expiryTimer = this.retryTimer = this.probeTimer = null;
    await this.queue;
    if (this.redirect) {
      this.redirect = null;
      await this.reconciler.reconcileOnce();
    }
    this.opts.dns?.watchdog?.disarm();
    await this.reconciler.stop();
    await this.stopFilter();
  }

  status(): IndicatorEnforcementStatus {
    return {
      version: this.opts.store.version,
      counts: this.opts.store.counts(),
      ip: this.reconciler.status,
      dns: {
        state: this.dnsState,
        port: this.redirect?.port ?? null,
        error: this.dnsError,
        stats: this.filter ? { ...this.filter.stats } : null,
      },
    };
  }

  private async pass(): Promise<IndicatorEnforcementStatus> {
    const store = this.opts.store;
    if (store.purgeExpired() > 0) this.opts.log?.info('indicators expired', { version: store.version });
    const wantDns = this.opts.dns !== null && store.counts().blockingNames > 0;
    if (wantDns && !this.filter) await this.startFilter();
    if (!wantDns && this.filter) {
      // Redirect out of the table before the listener goes, so no query meets a closed port.
      this.redirect = null;
      await this.reconciler.reconcileOnce();
      this.opts.dns?.watchdog?.disarm();
      await this.stopFilter();
    }
    if (!wantDns && this.dnsState === 'failed') {
      // Nothing left to enforce: a failure to start no longer matters.
      this.dnsState = 'off';
      this.dnsError = null;
      this.opts.dns?.onProblem?.(null);
    }
    await this.reconciler.reconcileOnce();
    this.armExpiry();
    const status = this.status();
    this.opts.onStatus?.(status);
    return status;
  }

  private async startFilter(): Promise<void> {
    const dns = this.opts.dns!;
    const filter = new DnsFilter({
      broker: dns.broker,
      lookup: (name) => this.opts.store.lookupDnsName(name),
      upstreams: dns.upstreams,
      port: dns.port,
      blockMode: dns.blockMode,
      upstreamTimeoutMs: dns.upstreamTimeoutMs,
      onMatch: this.opts.onDnsMatch,
      log: this.opts.log,
      now: this.opts.now,
    });
    try {
      const at = await filter.start();
      // Armed before the redirect reaches the table, so there is no moment it could outlive us.
      dns.watchdog?.arm();
      this.filter = filter;
      this.redirect = { port: at.port, uid: dns.uid, ipv6: at.ipv6 };
      this.dnsState = 'on';
      this.dnsError = null;
      this.probeMisses = 0;
      this.armProbe();
      dns.onProblem?.(null);
    } catch (err) {
      this.dnsState = 'failed';
      this.dnsError = errorMessage(err);
      this.opts.log?.error('DNS filter failed to start; domain and URL blocks are not enforced', {
        error: this.dnsError,
      });
      dns.onProblem?.(
        `DNS filter failed to start; domain and URL indicators are not enforced: ${this.dnsError}`,
      );
      this.retryLater();
    }
  }

  /** Asks the running filter a test query now and then; see {@link failOpen}. */
  private armProbe(): void {
    const dns = this.opts.dns;
    if (!dns || this.probeTimer || !this.running) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      void this.probe().finally(() => {
        if (this.filter) this.armProbe();
      });
    }, dns.probeIntervalMs ?? 5000);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    const filter = this.filter;
    const dns = this.opts.dns;
    if (!filter || !dns) return;
    // The watchdog may have fired during a stall and gone; the redirect is back (the table's
    // reconciler re-asserts it), so it needs a watchdog again.
    if (this.redirect) dns.watchdog?.arm();
    if (await filter.selfTest(dns.probeTimeoutMs ?? 1000)) {
      this.probeMisses = 0;
      return;
    }
    this.probeMisses++;
    this.opts.log?.warn('DNS filter did not answer its self-test', { misses: this.probeMisses });
    if (this.probeMisses < 2 || this.filter !== filter) return;
    const run = this.queue.then(() => this.failOpen(filter));
    this.queue = run.catch(() => undefined);
    await run;
  }

  /**
   * The filter stopped answering: take the redirect out (the device resolves through its own
   * resolvers again, unfiltered: failing open), drop the filter, say so, and try again later.
   */
  private async failOpen(filter: DnsFilter): Promise<void> {
    if (this.filter !== filter) return;
    const why =
      'DNS filter stopped answering; its redirect was removed so name resolution keeps working (domain and URL indicators are not enforced until it restarts)';
    this.opts.log?.error(why, { port: this.redirect?.port });
    this.redirect = null;
    await this.reconciler.reconcileOnce();
    this.opts.dns?.watchdog?.disarm();
    await this.stopFilter();
    this.dnsState = 'failed';
    this.dnsError = why;
    this.opts.dns?.onProblem?.(why);
    this.opts.onStatus?.(this.status());
    this.retryLater();
  }

  private async stopFilter(): Promise<void> {
    const filter = this.filter;
    this.filter = null;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.dnsState = 'off';
    this.dnsError = null;
    await filter?.stop();
  }

  private retryLater(): void {
    if (this.retryTimer || !this.running) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.refresh();
    }, DNS_RETRY_MS);
    this.retryTimer.unref();
  }

  private armExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    const at = this.opts.store.nextExpiry();
    if (at === null || !this.running) return;
    const now = (this.opts.now ?? Date.now)();
    // setTimeout holds at most ~24.8 days; a later expiry is re-armed by the refresh this one causes.
    this.expiryTimer = setTimeout(() => void this.refresh(), Math.min(Math.max(0, at - now), 2 ** 31 - 1));
    this.expiryTimer.unref();
  }
}
