import { parseDnsQuery } from './dns-query.js';
import type { DnsQuery, NetworkAttempt } from './report.schema.js';
import type { NetworkProtocol, NetworkResult } from './sandbox.vocab.js';
import type { SampleScope } from './sample-scope.js';
import type { EventOf, InetEndpoint } from './trace-events.js';

/** Distinct attempts and queries kept in a report; a scanner sample makes thousands. */
export const MAX_NETWORK_RECORDS = 200;

const RESULT_BY_ERRNO: Record<string, NetworkResult> = {
  ECONNREFUSED: 'refused',
  ENETUNREACH: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  EINPROGRESS: 'pending',
  EALREADY: 'pending',
  EAGAIN: 'pending',
  ETIMEDOUT: 'timed_out',
};

function protocolOf(transport: string | null, socketType: string | undefined): NetworkProtocol {
  if (transport) {
    if (transport.startsWith('TCP')) return 'tcp';
    if (transport.startsWith('UDP')) return 'udp';
    if (/^(RAW|PING|ICMP)/.test(transport)) return 'raw';
  }
  if (socketType?.startsWith('SOCK_STREAM')) return 'tcp';
  if (socketType?.startsWith('SOCK_DGRAM')) return 'udp';
  if (socketType?.startsWith('SOCK_RAW')) return 'raw';
  return 'unknown';
}

function resultOf(e: { ok: boolean | null; errno: string | null }, success: NetworkResult): NetworkResult {
  if (e.ok === null) return 'pending';
  if (e.ok) return success;
  return RESULT_BY_ERRNO[e.errno ?? ''] ?? 'error';
}

export interface NetworkObservables {
  network: NetworkAttempt[];
  dns: DnsQuery[];
}

/**
 * Connection attempts and DNS questions from the sample's socket calls. A connected socket's
 * peer is remembered by its inode, so `send()` on it (how glibc's resolver talks) is tied to the
 * resolver address. Identical attempts are counted. Pure.
 */
export function networkObservables(scope: SampleScope): NetworkObservables {
  const socketTypes = new Map<string, string>();
  const peers = new Map<string, InetEndpoint>();
  const attempts = new Map<string, NetworkAttempt>();
  const queries = new Map<string, DnsQuery>();

  const attempt = (
    e: EventOf<'connect'> | EventOf<'send'>,
    endpoint: InetEndpoint,
    result: NetworkResult,
  ) => {
    const protocol = protocolOf(e.transport, e.inode ? socketTypes.get(e.inode) : undefined);
    const key = [e.pid, endpoint.address, endpoint.port, protocol, result].join('|');
    const seen = attempts.get(key);
    if (seen) seen.count++;
    else if (attempts.size < MAX_NETWORK_RECORDS) {
      attempts.set(key, { pid: e.pid, ...endpoint, protocol, result, errno: e.errno, count: 1 });
    }
  };

  for (const e of scope.events) {
    if (e.type === 'socket' && e.inode) socketTypes.set(e.inode, e.socketType);
    else if (e.type === 'connect' && e.endpoint) {
      if (e.inode && e.ok !== false) peers.set(e.inode, e.endpoint);
      attempt(e, e.endpoint, resultOf(e, 'connected'));
    } else if (e.type === 'send') {
      const peer = e.endpoint ?? (e.inode ? peers.get(e.inode) : undefined);
      if (!peer) continue;
      if (e.endpoint) attempt(e, e.endpoint, resultOf(e, 'sent'));
      if (peer.port !== 53) continue;
      const tcp = protocolOf(e.transport, e.inode ? socketTypes.get(e.inode) : undefined) === 'tcp';
      for (const payload of e.payloads) {
        const q = parseDnsQuery(payload, tcp);
        if (!q) continue;
        const server =
          peer.family === 'ipv6' ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
        const key = `${q.name}|${q.type}|${server}`;
        const seen = queries.get(key);
        if (seen) seen.count++;
        else if (queries.size < MAX_NETWORK_RECORDS) queries.set(key, { ...q, server, count: 1 });
      }
    }
  }
  return { network: [...attempts.values()], dns: [...queries.values()] };
}

/** Whether an address is this machine (the sandbox's own loopback). */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}
