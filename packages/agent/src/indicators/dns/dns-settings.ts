import { readFile } from 'node:fs/promises';
import type { AgentConfig } from '../../config/agent-config.js';
import type { Logger } from '../../log.js';
import type { DnsFilterSettings } from '../indicator-enforcement.js';
import { DEFAULT_IOC_TABLE } from '../nft/ioc-ruleset.js';
import { ProcessRedirectWatchdog } from './redirect-watchdog.js';
import { HelperSocketBroker } from './socket-broker.js';
import { discoverUpstreams, type DnsUpstream } from './upstreams.js';

/** The account whose uid owns the filter's sockets, when it exists (packaging creates it). */
export const DNS_FILTER_USER = 'quell-dns';
/**
 * The filter's uid when there is no `quell-dns` account and `dns.filterUid` is not set: a fixed
 * high id that no account normally has (above the ranges handed to users, dynamic service users
 * and most container mappings). Its traffic bypasses the filter, so it must not be a real user's.
 */
export const DEFAULT_DNS_FILTER_UID = 2_147_000_053;
/** Discovered resolvers are read again at most this often (a laptop changes networks). */
const REDISCOVER_MS = 30_000;

export interface DnsSettingsOptions {
  config: AgentConfig;
  log: Logger;
  /** Degraded (text) or fine again (null): the runtime's device issue. */
  onProblem: (text: string | null) => void;
  /** Where accounts are looked up. Default `/etc/passwd` (the real one: uids are the kernel's). */
  passwdPath?: string;
}

/**
 * The DNS filter's settings from the agent config (`dns.*`), or null when `dns.enabled` is
 * false: domain and URL indicators are then held and looked up but not enforced.
 */
export async function createDnsSettings(opts: DnsSettingsOptions): Promise<DnsFilterSettings | null> {
  const { config, log } = opts;
  if (!config.dns.enabled) {
    log.info('DNS enforcement is off (dns.enabled: false): domain and URL indicators are not enforced');
    return null;
  }
  const accounts = await readPasswd(opts.passwdPath ?? '/etc/passwd');
  const uid = config.dns.filterUid ?? accounts.get(DNS_FILTER_USER) ?? DEFAULT_DNS_FILTER_UID;
  const holder = [...accounts].find(([name, id]) => id === uid && name !== DNS_FILTER_USER)?.[0];
  if (holder)
    log.warn('the DNS filter uid belongs to an account: its lookups bypass the filter', {
      uid,
      account: holder,
    });
  const prefix = config.nft.commandPrefix;
  return {
    broker: new HelperSocketBroker({ uid, commandPrefix: prefix }),
    uid,
    upstreams: config.dns.upstreams ? constant(config.dns.upstreams) : await discovered(config.fsRoot, log),
    blockMode: config.dns.blockMode,
    ...(config.dns.port !== null && { port: config.dns.port }),
    watchdog: new ProcessRedirectWatchdog({ table: DEFAULT_IOC_TABLE, commandPrefix: prefix, log }),
    onProblem: opts.onProblem,
  };
}

function constant(list: readonly DnsUpstream[]): () => readonly DnsUpstream[] {
  const fixed = list.map((u) => ({ ...u }));
  return () => fixed;
}

/**
 * The device's resolvers, read now and again in the background when the last read is older than
 * {@link REDISCOVER_MS} (the filter asks per query and must get an answer at once).
 */
async function discovered(fsRoot: string, log: Logger): Promise<() => readonly DnsUpstream[]> {
  let current = await discoverUpstreams(fsRoot);
  if (!current.length)
    log.warn('no non-loopback nameserver in resolv.conf: set dns.upstreams, or allowed names will fail');
  let readAt = Date.now();
  let reading = false;
  return () => {
    if (!reading && Date.now() - readAt > REDISCOVER_MS) {
      reading = true;
      readAt = Date.now();
      void discoverUpstreams(fsRoot)
        .then((found) => {
          // Keep the last good list over an empty read (resolv.conf being rewritten).
          if (found.length) current = found;
        })
        .finally(() => (reading = false));
    }
    return current;
  };
}

async function readPasswd(path: string): Promise<Map<string, number>> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid && /^\d+$/.test(uid)) out.set(name, Number(uid));
  }
  return out;
}
