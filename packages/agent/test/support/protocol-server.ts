import { execFileSync } from 'node:child_process';
import {
  createHash,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
  createPublicKey,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { stringify } from 'safe-stable-stringify';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  commandSigningText,
  helloSigningText,
  type AgentMessage,
  type Command,
  type ServerMessage,
} from '@quell/contracts';

/** A self-signed P-256 certificate for localhost, made by openssl (as an operator would). */
export function makeCert(): { key: string; cert: string; sha256: string } {
  const dir = mkdtempSync(join(tmpdir(), 'quell-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const sha256 = new X509Certificate(cert).fingerprint256.replace(/:/g, '').toLowerCase();
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert, sha256 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ReceivedUpload {
  streamId: string;
  actionId: string | undefined;
  data: Buffer;
  sha256: string;
}

/**
 * The server side of the agent protocol, just enough to drive a real agent in tests: enroll
 * with single-use tokens, challenge / signed hello / welcome, signed commands, result_ack,
 * uploads. Everything an agent sends is recorded in {@link messages}.
 */
export class ProtocolServer {
  readonly serverKey: KeyObject;
  readonly serverPublicKeyB64: string;
  /** HTTP requests seen (enroll); stays 0 when the agent refused the pin. */
  httpRequests = 0;
  readonly devices = new Map<string, string>();
  readonly messages: AgentMessage[] = [];
  readonly hellos: { deviceId: string; valid: boolean; msg: AgentMessage }[] = [];
  readonly uploads: ReceivedUpload[] = [];
  connections = 0;
  /** When false, results are not acknowledged (to test the outbox). */
  ackResults = true;
  heartbeatMs = 200;
  private readonly tokens = new Set<string>();
  private readonly sockets = new Set<WebSocket>();
  private readonly streams = new Map<string, { actionId: string | undefined; chunks: Buffer[] }>();
  private readonly waiters = new Set<() => void>();
  private deviceSeq = 0;

  private constructor(
    readonly https: Server,
    private readonly wss: WebSocketServer,
    readonly certSha256: string,
  ) {
    const kp = generateKeyPairSync('ed25519');
    this.serverKey = kp.privateKey;
    this.serverPublicKeyB64 = kp.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  }

  static async start(cert: { key: string; cert: string; sha256: string }): Promise<ProtocolServer> {
    const https = createServer({ key: cert.key, cert: cert.cert });
    const wss = new WebSocketServer({ noServer: true });
    const server = new ProtocolServer(https, wss, cert.sha256);
    https.on('request', (req, res) => {
      server.httpRequests++;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = (status: number, body: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        if (req.method !== 'POST' || req.url !== '/agent/v1/enroll')
          return reply(404, { code: 'QUELL_E_NOT_FOUND', message: 'no such route', details: {} });
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          token: string;
          publicKey: string;
        };
        if (!server.tokens.delete(body.token)) {
          return reply(401, {
            code: 'QUELL_E_UNAUTHENTICATED',
            message: 'the enrollment token is unknown, used or expired; create a new one',
            details: {},
          });
        }
        const deviceId = `dev-${++server.deviceSeq}`;
        server.devices.set(deviceId, body.publicKey);
        reply(201, {
          deviceId,
          serverPublicKey: server.serverPublicKeyB64,
          heartbeatMs: server.heartbeatMs,
          deviceGroupId: 'grp-default',
          tags: [],
        });
      });
    });
    https.on('upgrade', (req, socket, head) => {
      if (req.url !== '/agent/v1/connect') return socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => server.onConnection(ws));
    });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    return server;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.https.address() as AddressInfo).port}`;
  }

  get port(): number {
    return (this.https.address() as AddressInfo).port;
  }

  /** A fresh single-use token; `pin` defaults to this server's certificate. */
  token(pin = this.certSha256): string {
    const secret = randomBytes(12).toString('base64url');
    this.tokens.add(`qe1.${secret}.${pin}`);
    return `qe1.${secret}.${pin}`;
  }

  /** Signs a command as the server does. */
  sign(command: Command, key: KeyObject = this.serverKey): string {
    return sign(null, Buffer.from(commandSigningText(stringify(command)), 'utf8'), key).toString('base64');
  }

  send(msg: ServerMessage): void {
    for (const ws of this.sockets) ws.send(JSON.stringify(msg));
  }

  sendCommand(command: Command, signature = this.sign(command)): void {
    this.send({ type: 'command', command, signature });
  }

  /** Closes every agent socket with `code`. */
  closeAgents(code: number, reason = ''): void {
    for (const ws of this.sockets) ws.close(code, reason);
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  /** Waits for an agent message matching `pred` (already received ones count). */
  async waitFor<T extends AgentMessage['type']>(
    type: T,
    pred: (m: Extract<AgentMessage, { type: T }>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<Extract<AgentMessage, { type: T }>> {
    const find = () =>
      this.messages.find(
        (m): m is Extract<AgentMessage, { type: T }> =>
          m.type === type && pred(m as Extract<AgentMessage, { type: T }>),
      );
    return this.until(find, `${type} message`, timeoutMs);
  }

  /** Waits until `probe` returns something truthy, re-checked on every agent message. */
  async until<R>(probe: () => R | undefined | false, what: string, timeoutMs = 5_000): Promise<R> {
    const now = probe();
    if (now) return now;
    return new Promise<R>((resolve, reject) => {
      const check = (): void => {
        const v = probe();
        if (v) {
          done();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  count(type: AgentMessage['type'], pred: (m: AgentMessage) => boolean = () => true): number {
    return this.messages.filter((m) => m.type === type && pred(m)).length;
  }

  reset(): void {
    this.messages.length = 0;
    this.hellos.length = 0;
    this.uploads.length = 0;
    this.ackResults = true;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.https.closeAllConnections();
    await new Promise<void>((r) => this.https.close(() => r()));
  }

  private onConnection(ws: WebSocket): void {
    this.connections++;
    const nonce = randomBytes(16).toString('hex');
    let deviceId: string | null = null;
    ws.send(
      JSON.stringify({
        type: 'challenge',
        nonce,
        serverTime: Date.now(),
        protocol: 1,
      } satisfies ServerMessage),
    );
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as AgentMessage;
      if (msg.type === 'hello') {
        const key = this.devices.get(msg.deviceId);
        const valid =
          !!key &&
          verify(
            null,
            Buffer.from(helloSigningText(msg.deviceId, nonce)),
            createPublicKey({ key: Buffer.from(key, 'base64'), format: 'der', type: 'spki' }),
            Buffer.from(msg.signature, 'base64'),
          );
        this.hellos.push({ deviceId: msg.deviceId, valid, msg });
        if (!key) return ws.close(4004, 'unknown device');
        if (!valid) return ws.close(4001, 'bad hello signature');
        deviceId = msg.deviceId;
        this.sockets.add(ws);
        ws.send(
          JSON.stringify({
            type: 'welcome',
            deviceId,
            heartbeatMs: this.heartbeatMs,
            serverTime: Date.now(),
          } satisfies ServerMessage),
        );
      } else if (!deviceId) {
        return ws.close(4001, 'hello first');
      } else {
        this.messages.push(msg);
        this.onAgentMessage(ws, msg);
      }
      for (const w of [...this.waiters]) w();
    });
    ws.on('close', () => this.sockets.delete(ws));
  }

  private onAgentMessage(ws: WebSocket, msg: AgentMessage): void {
    if (msg.type === 'result' && this.ackResults)
      ws.send(JSON.stringify({ type: 'result_ack', actionId: msg.actionId } satisfies ServerMessage));
    if (msg.type === 'stream_open') this.streams.set(msg.streamId, { actionId: msg.actionId, chunks: [] });
    if (msg.type === 'stream_data')
      this.streams.get(msg.streamId)?.chunks.push(Buffer.from(msg.data, 'base64'));
    if (msg.type === 'stream_close') {
      const s = this.streams.get(msg.streamId);
      const data = Buffer.concat(s?.chunks ?? []);
      const sha256 = createHash('sha256').update(data).digest('hex');
      const ok = !!s && sha256 === msg.sha256;
      if (ok) this.uploads.push({ streamId: msg.streamId, actionId: s.actionId, data, sha256 });
      ws.send(
        JSON.stringify({
          type: 'stream_ack',
          streamId: msg.streamId,
          ok,
          sha256,
          ...(ok ? {} : { error: 'sha256 mismatch' }),
        } satisfies ServerMessage),
      );
    }
  }
}
