import { randomInt } from 'node:crypto';
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import type { Server, Socket } from 'node:net';
import type { Logger } from '../../log.js';
import { parseIpNetwork } from '../../firewall/ip-address.js';
import { DnsFilterError } from '../indicators.errors.js';
import type { IndicatorMatch } from '../indicator-sync.types.js';
import {
  blockedResponse,
  buildQuery,
  DNS_HEADER_BYTES,
  DNS_RCODES,
  errorResponse,
  messageId,
  parseQuery,
  tcpFrame,
  TcpFrameReader,
  withId,
  type DnsQuestion,
} from './dns-message.js';
import type { SocketBroker } from './socket-broker.js';
import type { DnsUpstream } from './upstreams.js';

import type { DnsBlockMode } from './dns-block-modes.js';

export { DNS_BLOCK_MODES, type DnsBlockMode } from './dns-block-modes.js';

/** A query that matched an audit or blocking indicator. */
export interface DnsMatchEvent {
  name: string;
  qtype: number;
  blocked: boolean;
  indicator: IndicatorMatch;
  at: number;
}

export interface DnsFilterStats {
  queries: number;
  blocked: number;
  forwarded: number;
  /** Queries answered SERVFAIL because no upstream answered. */
  failed: number;
}

export interface DnsFilterOptions {
  /** Makes the sockets (as the filter's uid, in the right namespace). */
  broker: SocketBroker;
  /** The indicator deciding a name (`IndicatorStore.lookupDnsName`), or null. */
  lookup: (name: string) => IndicatorMatch | null;
  /** Resolvers for allowed names, tried in order. Read per query. */
  upstreams: () => readonly DnsUpstream[];
  /** Local port (127.0.0.1 and ::1). Default 0: any free port, reported by {@link DnsFilter.start}. */
  port?: number;
  /** Default `nxdomain`. */
  blockMode?: DnsBlockMode;
  /** Wait per upstream before trying the next. Default 2000 ms. */
  upstreamTimeoutMs?: number;
  /** Queries in flight upstream at most; more get SERVFAIL. Default 4096. */
  maxPending?: number;
  onMatch?: (e: DnsMatchEvent) => void;
  log?: Logger;
  now?: () => number;
}

interface Pending {
  upstream: DnsUpstream;
  q: DnsQuestion;
  reply: (msg: Buffer) => void;
  timer: NodeJS.Timeout;
}

const BLOCKING = new Set(['block', 'block_and_remediate']);
const TCP_IDLE_MS = 10_000;
/**
 * The self-test's name. RFC 6761 reserves `.invalid`: resolvers answer NXDOMAIN for it without
 * asking anyone, so the filter does that for every `.invalid` name, and a self-test never
 * leaves the device.
 */
const PROBE_NAME = 'quell-dns-filter-probe.invalid';
const isInvalidTld = (name: string) => name === 'invalid' || name.endsWith('.invalid');

/**
 * A small DNS filter: answers names covered by blocking domain/URL indicators itself (NXDOMAIN or
 * a sinkhole address) and forwards every other query unchanged to the device's resolvers. nftables
 * sends it the device's outbound DNS (`dns_redirect` in the indicator table); it listens on
 * 127.0.0.1 (and ::1) over UDP and TCP.
 *
 * UDP queries are forwarded from one upstream socket per family with fresh random ids (the
 * client's id is restored on the answer, which must come from the upstream it was sent to); TCP
 * queries over a new TCP connection each, so large answers arrive whole.
 */
export class DnsFilter {
  private readonly sockets: (UdpSocket | Server)[] = [];
  private readonly upstreamSocket: Partial<Record<'udp4' | 'udp6', UdpSocket>> = {};
  private readonly pending = new Map<number, Pending>();
  private readonly clients = new Set<Socket>();
  private listening: { port: number; ipv6: boolean } | null = null;
  /** Sends the self-test's queries (made with the other sockets, so in the same namespace). */
  private probeSocket: UdpSocket | null = null;
  private readonly now: () => number;
  readonly stats: DnsFilterStats = { queries: 0, blocked: 0, forwarded: 0, failed: 0 };

  constructor(private readonly opts: DnsFilterOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Where it listens, once started. */
  get address(): { port: number; ipv6: boolean } | null {
    return this.listening;
  }

  /** Opens the listeners and upstream sockets; resolves with the port to redirect to. */
  async start(): Promise<{ port: number; ipv6: boolean }> {
    if (this.listening) return this.listening;
    const broker = this.opts.broker;
    try {
      const port = await this.listen4(this.opts.port ?? 0);
      let ipv6 = true;
      try {
        this.listenUdp(await broker.udp('udp6', '::1', port));
        this.listenTcp(await broker.tcpServer('::1', port));
      } catch (err) {
        ipv6 = false;
        this.opts.log?.warn('DNS filter: no IPv6 loopback listener; IPv6 DNS is not filtered', {
          error: (err as Error).message,
        });
      }
      this.probeSocket = await broker.udp('udp4', '127.0.0.1', 0);
      this.sockets.push(this.probeSocket);
      this.probeSocket.on('error', () => undefined);
      this.upstreamSocket.udp4 = this.upstream(await broker.udp('udp4', '0.0.0.0', 0));
      if (ipv6) this.upstreamSocket.udp6 = this.upstream(await broker.udp('udp6', '::', 0));
      this.listening = { port, ipv6 };
      return this.listening;
    } catch (err) {
      await this.stop();
      if (err instanceof DnsFilterError) throw err;
      throw new DnsFilterError(`DNS filter could not start: ${(err as Error).message}`, {}, { cause: err });
    }
  }

  /** Closes every socket; queries in flight are dropped (clients retry). */
  async stop(): Promise<void> {
    this.listening = null;
    this.probeSocket = null;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    for (const c of this.clients) c.destroy();
    this.clients.clear();
    for (const s of [...this.sockets, ...Object.values(this.upstreamSocket)]) closeQuietly(s);
    this.sockets.length = 0;
    delete this.upstreamSocket.udp4;
    delete this.upstreamSocket.udp6;
    await this.opts.broker.close();
  }

  /**
   * Asks the filter's own IPv4 listener for a `.invalid` name, which it answers itself: true when
   * the answer comes back within `timeoutMs`. False when stopped, or when the listener or the
   * event loop no longer serves queries.
   */
  selfTest(timeoutMs = 1000): Promise<boolean> {
    const sock = this.probeSocket;
    const at = this.listening;
    if (!sock || !at) return Promise.resolve(false);
    const id = randomInt(0, 65536);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        sock.off('message', onMessage);
        resolve(ok);
      };
      const onMessage = (msg: Buffer) => {
        if (msg.length >= DNS_HEADER_BYTES && messageId(msg) === id) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      sock.on('message', onMessage);
      try {
        sock.send(buildQuery(id, PROBE_NAME), at.port, '127.0.0.1');
      } catch {
        done(false);
      }
    });
  }

  /** The UDP listener on 127.0.0.1 and a TCP one on the same port (retrying when TCP's is taken). */
  private async listen4(wanted: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const udp = await this.opts.broker.udp('udp4', '127.0.0.1', wanted);
      const port = udp.address().port;
      try {
        const tcp = await this.opts.broker.tcpServer('127.0.0.1', port);
        this.listenUdp(udp);
        this.listenTcp(tcp);
        return port;
      } catch (err) {
        closeQuietly(udp);
        if (wanted !== 0 || attempt >= 4) throw err;
      }
    }
  }

  private listenUdp(sock: UdpSocket): void {
    this.sockets.push(sock);
    sock.on('error', (err) => this.opts.log?.warn('DNS filter UDP listener error', { error: err.message }));
    sock.on('message', (msg: Buffer, from: RemoteInfo) =>
      this.handle(msg, 'udp', (answer) => sock.send(answer, from.port, from.address)),
    );
  }

  private listenTcp(server: Server): void {
    this.sockets.push(server);
    server.on('error', (err) => this.opts.log?.warn('DNS filter TCP listener error', { error: err.message }));
    server.on('connection', (client: Socket) => {
      this.clients.add(client);
      const reader = new TcpFrameReader();
      client.setTimeout(TCP_IDLE_MS, () => client.destroy());
      client.on('error', () => client.destroy());
      client.on('close', () => this.clients.delete(client));
      client.on('data', (chunk: Buffer) => {
        for (const msg of reader.push(chunk))
          this.handle(msg, 'tcp', (answer) => {
            if (!client.destroyed) client.write(tcpFrame(answer));
          });
      });
    });
  }

  private upstream(sock: UdpSocket): UdpSocket {
    sock.on('error', (err) =>
      this.opts.log?.warn('DNS filter upstream socket error', { error: err.message }),
    );
    sock.on('message', (msg: Buffer, from: RemoteInfo) => {
      if (msg.length < DNS_HEADER_BYTES) return;
      const id = messageId(msg);
      const p = this.pending.get(id);
      // Only the resolver the query went to may answer it: anything else could be spoofed.
      if (!p || from.address !== p.upstream.address || from.port !== p.upstream.port) return;
      clearTimeout(p.timer);
      this.pending.delete(id);
      this.stats.forwarded++;
      p.reply(withId(msg, p.q.id));
    });
    this.sockets.push(sock);
    return sock;
  }

  private handle(msg: Buffer, transport: 'udp' | 'tcp', reply: (answer: Buffer) => void): void {
    const q = parseQuery(msg);
    if (q && isInvalidTld(q.name)) {
      reply(blockedResponse(msg, q, 'nxdomain'));
      return;
    }
    this.stats.queries++;
    if (!q) {
      if (msg.length >= DNS_HEADER_BYTES && (msg[2]! & 0x80) === 0)
        reply(errorResponse(msg, DNS_RCODES.formErr, null));
      return;
    }
    let match: IndicatorMatch | null = null;
    try {
      match = this.opts.lookup(q.name);
    } catch (err) {
      // A failing lookup must not take name resolution down with it: forward, and say so.
      this.opts.log?.error('DNS filter lookup failed; forwarding', {
        name: q.name,
        error: (err as Error).message,
      });
    }
    const blocked = match !== null && BLOCKING.has(match.action);
    if (match && match.action !== 'allow')
      this.opts.onMatch?.({ name: q.name, qtype: q.qtype, blocked, indicator: match, at: this.now() });
    if (blocked) {
      this.stats.blocked++;
      reply(blockedResponse(msg, q, this.opts.blockMode ?? 'nxdomain'));
      return;
    }
    if (transport === 'udp') this.forwardUdp(msg, q, reply, 0);
    else void this.forwardTcp(msg, q, reply);
  }

  private forwardUdp(query: Buffer, q: DnsQuestion, reply: (m: Buffer) => void, index: number): void {
    const upstreams = this.upstreams();
    const upstream = upstreams[index];
    const sock = upstream && this.upstreamSocket[upstream.address.includes(':') ? 'udp6' : 'udp4'];
    if (!upstream || !sock || this.pending.size >= (this.opts.maxPending ?? 4096)) {
      if (upstream && index + 1 < upstreams.length) return this.forwardUdp(query, q, reply, index + 1);
      this.stats.failed++;
      reply(errorResponse(query, DNS_RCODES.servFail, q));
      return;
    }
    let id = randomInt(0, 65536);
    while (this.pending.has(id)) id = (id + 1) & 0xffff;
    const timer = setTimeout(() => {
      this.pending.delete(id);
      this.forwardUdp(query, q, reply, index + 1);
    }, this.opts.upstreamTimeoutMs ?? 2000);
    this.pending.set(id, { upstream, q, reply, timer });
    sock.send(withId(query, id), upstream.port, upstream.address);
  }

  private async forwardTcp(query: Buffer, q: DnsQuestion, reply: (m: Buffer) => void): Promise<void> {
    const timeoutMs = this.opts.upstreamTimeoutMs ?? 2000;
    for (const upstream of this.upstreams()) {
      try {
        const sock = await this.opts.broker.tcpConnect(upstream.address, upstream.port, timeoutMs);
        const answer = await firstFrame(sock, tcpFrame(query), timeoutMs);
        this.stats.forwarded++;
        reply(answer);
        return;
      } catch (err) {
        this.opts.log?.debug('DNS filter: TCP upstream failed', {
          upstream: upstream.address,
          error: (err as Error).message,
        });
      }
    }
    this.stats.failed++;
    reply(errorResponse(query, DNS_RCODES.servFail, q));
  }

  /** Upstreams with addresses in the form `dgram` reports senders in. */
  private upstreams(): DnsUpstream[] {
    return this.opts.upstreams().flatMap((u) => {
      try {
        return [{ address: parseIpNetwork(u.address, 'upstream').text, port: u.port }];
      } catch {
        return [];
      }
    });
  }
}

/** Sends `frame` on `sock` and resolves with the first whole DNS message back; always ends `sock`. */
function firstFrame(sock: Socket, frame: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const reader = new TcpFrameReader();
    const done = (err: Error | null, msg?: Buffer) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(msg!);
    };
    const timer = setTimeout(() => done(new Error('no answer in time')), timeoutMs);
    sock.on('data', (chunk: Buffer) => {
      const [msg] = reader.push(chunk);
      if (msg) done(null, msg);
    });
    sock.on('error', (err) => done(err));
    sock.on('close', () => done(new Error('closed before answering')));
    sock.resume();
    sock.write(frame);
  });
}

function closeQuietly(s: UdpSocket | Server): void {
  try {
    s.close();
  } catch {
    // Already closed: nothing left to release.
  }
}
