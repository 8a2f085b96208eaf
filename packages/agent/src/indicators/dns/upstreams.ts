import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseIpNetwork } from '../../firewall/ip-address.js';

/** A resolver the DNS filter forwards allowed queries to. */
export interface DnsUpstream {
  address: string;
  port: number;
}

/**
 * Where the device's resolvers are listed: the system file, then systemd-resolved's list of the
 * real upstreams (its stub file names only 127.0.0.53).
 */
export const RESOLV_CONF_PATHS = ['etc/resolv.conf', 'run/systemd/resolve/resolv.conf'] as const;

/**
 * Nameservers of a resolv.conf, without loopback ones. Loopback resolvers (a local stub or cache)
 * are skipped because the redirect leaves loopback traffic alone: the stub's own upstream
 * queries are what gets filtered, and forwarding to the stub would send them round in a loop.
 */
export function parseResolvConf(text: string): DnsUpstream[] {
  const out: DnsUpstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    let address: string;
    try {
      address = parseIpNetwork(m[1]!.replace(/%.*$/, ''), 'nameserver').text;
    } catch {
      continue;
    }
    if (address.startsWith('127.') || address === '::1') continue;
    if (!out.some((u) => u.address === address)) out.push({ address, port: 53 });
  }
  return out;
}

/**
 * The resolvers to forward to, from the first of {@link RESOLV_CONF_PATHS} under `fsRoot` that
 * names a non-loopback one; empty when none does (the filter then answers SERVFAIL for allowed
 * names, and `dnsFilter.upstreams` should be configured).
 */
export async function discoverUpstreams(fsRoot = '/'): Promise<DnsUpstream[]> {
  for (const rel of RESOLV_CONF_PATHS) {
    const text = await readFile(join(fsRoot, rel), 'utf8').catch(() => '');
    const found = parseResolvConf(text);
    if (found.length) return found;
  }
  return [];
}
