import type { Socket as UdpSocket } from 'node:dgram';
import type { Server } from 'node:net';
import {
  parseQuery,
  tcpFrame,
  TcpFrameReader,
  type DnsQuestion,
} from '../../src/indicators/dns/dns-message.js';
import { HelperSocketBroker } from '../../src/indicators/dns/socket-broker.js';
import type { NetLab } from './netns.js';

/**
 * An authoritative-for-everything DNS server on a lab node (port 53, UDP and TCP): every A query
 * gets `address`, every other type an empty answer. Its sockets are made inside the node's
 * namespace (by the same socket helper the filter uses) and served from the test process, so
 * the test can see which names reached it.
 */
export interface DnsTestServer {
  /** Names queried, in arrival order. */
  readonly seen: string[];
  readonly address: string;
  close(): Promise<void>;
}

export async function startDnsTestServer(
  lab: NetLab,
  node: string,
  address = '203.0.113.7',
): Promise<DnsTestServer> {
  const broker = new HelperSocketBroker({ uid: null, commandPrefix: lab.prefix(node) });
  const seen: string[] = [];
  const sockets: (UdpSocket | Server)[] = [];
  const answer = (msg: Buffer): Buffer | null => {
    const q = parseQuery(msg);
    if (!q) return null;
    seen.push(q.name);
    return buildAnswer(msg, q, address);
  };
  for (const [type, host] of [
    ['udp4', lab.ip(node)],
    ['udp6', lab.ip6(node)],
  ] as const) {
    const udp = await broker.udp(type, host, 53);
    udp.on('message', (msg, from) => {
      const a = answer(msg);
      if (a) udp.send(a, from.port, from.address);
    });
    sockets.push(udp);
    const tcp = await broker.tcpServer(host, 53);
    tcp.on('connection', (c) => {
      const reader = new TcpFrameReader();
      c.on('error', () => c.destroy());
      c.on('data', (chunk: Buffer) => {
        for (const msg of reader.push(chunk)) {
          const a = answer(msg);
          if (a) c.write(tcpFrame(a));
        }
      });
    });
    sockets.push(tcp);
  }
  await broker.close();
  return {
    seen,
    address,
    close: async () => {
      for (const s of sockets) s.close();
    },
  };
}

/** NOERROR with one A record (TTL 0, so nothing caches it) or no records for other types. */
function buildAnswer(query: Buffer, q: DnsQuestion, address: string): Buffer {
  const isA = q.qtype === 1 && q.qclass === 1;
  const out = Buffer.alloc(q.end + (isA ? 16 : 0));
  query.copy(out, 0, 0, q.end);
  out[2] = 0x84 | (query[2]! & 0x01); // QR, AA, RD echoed
  out[3] = 0x80;
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(isA ? 1 : 0, 6);
  out.writeUInt32BE(0, 8);
  if (isA) {
    let o = q.end;
    o = out.writeUInt16BE(0xc00c, o);
    o = out.writeUInt16BE(1, o);
    o = out.writeUInt16BE(1, o);
    o = out.writeUInt32BE(0, o);
    o = out.writeUInt16BE(4, o);
    for (const part of address.split('.')) out[o++] = Number(part);
  }
  return out;
}
