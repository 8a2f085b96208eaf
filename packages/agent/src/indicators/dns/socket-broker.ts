import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket as UdpSocket } from 'node:dgram';
import type { Server, Socket } from 'node:net';
import { DnsFilterError } from '../indicators.errors.js';

/**
 * Creates the DNS filter's sockets in a small helper process that has switched to the filter's
 * own uid, and passes them back over the IPC channel (file descriptors travel with the message).
 *
 * Why: the filter's upstream queries must not be redirected back into the filter, and nftables
 * can only tell them apart by the socket's owner (`meta skuid`, the uid that created the socket,
 * kept by the descriptor wherever it goes). The agent itself runs as root like many other
 * processes, so matching root would let every root process past the filter. The helper runs
 * only while sockets are being made and exits when idle; sockets it made keep working.
 *
 * With `commandPrefix` (`ip netns exec <ns>`) the helper, and so every socket, lives in another
 * network namespace: how the tests put a filter running in the test process onto a lab node.
 */
export interface SocketBroker {
  /** A bound UDP socket (`port` 0: any free port). */
  udp(type: 'udp4' | 'udp6', address: string, port: number): Promise<UdpSocket>;
  /** A listening TCP server. */
  tcpServer(address: string, port: number): Promise<Server>;
  /** A connected TCP socket. */
  tcpConnect(host: string, port: number, timeoutMs: number): Promise<Socket>;
  /** Ends the helper (sockets already handed over stay open). */
  close(): Promise<void>;
}

export interface HelperSocketBrokerOptions {
  /** Uid (and gid) the helper switches to; null keeps the agent's (tests without a filter uid). */
  uid: number | null;
  gid?: number | null;
  /** Argv prefix, e.g. `['ip', 'netns', 'exec', ns]`. Default none. */
  commandPrefix?: readonly string[];
  /** The helper exits after this long without requests. Default 30 000 ms. */
  idleMs?: number;
  /** Node binary. Default this process's. */
  nodePath?: string;
}

/** The helper, run as `node -e`: no file to install, and nothing in it but socket creation. */
const HELPER = `
const dgram = require('dgram'), net = require('net');
const [uid, gid] = process.argv.slice(1).map(Number);
if (gid >= 0) { process.setgroups([]); process.setgid(gid); }
if (uid >= 0) process.setuid(uid);
process.on('disconnect', () => process.exit(0));
process.on('message', (m) => {
  const fail = (e) => process.send({ id: m.id, error: String(e && e.message || e) });
  try {
    if (m.op === 'udp') {
      const s = dgram.createSocket(m.type);
      s.once('error', fail);
      s.bind(m.port, m.address, () => process.send({ id: m.id }, s, () => s.close()));
    } else if (m.op === 'tcpServer') {
      const srv = net.createServer();
      srv.once('error', fail);
      srv.listen({ port: m.port, host: m.address }, () => process.send({ id: m.id }, srv, () => srv.close()));
    } else if (m.op === 'tcpConnect') {
      const c = net.connect({ host: m.host, port: m.port });
      const t = setTimeout(() => { c.destroy(); fail('connect timed out'); }, m.timeoutMs);
      c.once('error', (e) => { clearTimeout(t); fail(e); });
      c.once('connect', () => { clearTimeout(t); process.send({ id: m.id }, c); });
    } else fail('unknown op ' + m.op);
  } catch (e) { fail(e); }
});
process.send({ ready: true });
`;

type Reply = { id: number; error?: string };

export class HelperSocketBroker implements SocketBroker {
  private child: ChildProcess | null = null;
  private ready: Promise<ChildProcess> | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply, handle: unknown) => void>();
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly idleMs: number;

  constructor(private readonly opts: HelperSocketBrokerOptions) {
    this.idleMs = opts.idleMs ?? 30_000;
  }

  udp(type: 'udp4' | 'udp6', address: string, port: number): Promise<UdpSocket> {
    return this.request({ op: 'udp', type, address, port }) as Promise<UdpSocket>;
  }

  tcpServer(address: string, port: number): Promise<Server> {
    return this.request({ op: 'tcpServer', address, port }) as Promise<Server>;
  }

  tcpConnect(host: string, port: number, timeoutMs: number): Promise<Socket> {
    return this.request({ op: 'tcpConnect', host, port, timeoutMs }) as Promise<Socket>;
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const child = this.child;
    this.child = null;
    this.ready = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      if (child.connected) child.disconnect();
      else child.kill('SIGKILL');
    });
  }

  private async request(msg: Record<string, unknown>): Promise<unknown> {
    const child = await this.helper();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      this.waiting.set(id, (reply, handle) => {
        if (reply.error !== undefined || !handle)
          reject(
            new DnsFilterError(`socket helper: ${msg.op} failed: ${reply.error ?? 'no socket'}`, { ...msg }),
          );
        else resolve(handle);
      });
    });
    child.send({ ...msg, id });
    try {
      return await result;
    } finally {
      this.armIdle();
    }
  }

  private helper(): Promise<ChildProcess> {
    if (this.ready) return this.ready;
    const promise = new Promise<ChildProcess>((resolve, reject) => {
      const uid = this.opts.uid ?? -1;
      const gid = this.opts.gid ?? this.opts.uid ?? -1;
      const argv = [
        ...(this.opts.commandPrefix ?? []),
        this.opts.nodePath ?? process.execPath,
        '-e',
        HELPER,
        '--',
        String(uid),
        String(gid),
      ];
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      child.on('message', (m: Reply & { ready?: boolean }, handle: unknown) => {
        if (m.ready) {
          this.child = child;
          resolve(child);
          return;
        }
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        w?.(m, handle);
      });
      child.on('error', (e) =>
        reject(new DnsFilterError(`cannot start the socket helper: ${e.message}`, {}, { cause: e })),
      );
      child.on('exit', (code) => {
        if (this.child === child) this.child = null;
        if (this.ready === promise) this.ready = null;
        const why = `socket helper exited (${code}) ${stderr.trim()}`.trim();
        reject(new DnsFilterError(why, {}));
        for (const [id, w] of this.waiting) {
          this.waiting.delete(id);
          w({ id, error: why }, null);
        }
      });
    });
    this.ready = promise;
    return promise;
  }

  private armIdle(): void {
    if (this.waiting.size > 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.close(), this.idleMs);
    this.idleTimer.unref();
  }
}
