import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import {
  AGENT_PROTOCOL_VERSION,
  CLOSE_CODES,
  type AgentMessage,
  type HelloMessage,
  type ServerMessage,
} from '@quell/contracts';
import { AgentProtocolError, encodeServerMessage, parseAgentMessage } from './agent-messages.js';

/** What a connection hands its messages to (the gateway). */
export interface ConnectionHandler {
  /** Verifies the hello; on success calls {@link AgentConnection.authenticate} and sends welcome. */
  hello(conn: AgentConnection, msg: HelloMessage): Promise<void>;
  /** Any message after the hello. */
  message(conn: AgentConnection, msg: Exclude<AgentMessage, HelloMessage>): Promise<void>;
  closed(conn: AgentConnection): void;
  /** A frame that is not a protocol message (`raw`: its JSON, if it parsed), already logged. */
  invalid?(conn: AgentConnection, raw: unknown, why: string): void;
}

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/**
 * One agent's socket: the challenge, the 10-second window for a hello, schema checks on every
 * frame, and strictly ordered handling (an ack is applied before the result that follows it).
 * A bad frame before the hello closes the socket; after it, it is logged and dropped, so one odd
 * message never costs the agent its channel.
 */
export class AgentConnection {
  readonly nonce = randomBytes(24).toString('base64url');
  deviceId: string | null = null;
  hostname: string | null = null;
  /** Cleared by each liveness sweep, set by any frame or pong; still clear at the next sweep = dead. */
  alive = true;
  /** Last agent state written for this device, to skip writing identical heartbeats. */
  lastStateJson: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private helloTimer: NodeJS.Timeout | null;
  private closedOnce = false;
  /** When the agent last sent a frame (a pong is not one). */
  private lastFrameAt = 0;
  /** The last sweep pinged this socket. */
  private pinged = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly handler: ConnectionHandler,
    readonly remote: string,
    private readonly log: Logger,
    serverTime: number,
    helloTimeoutMs: number,
  ) {
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => this.onClose());
    ws.on('error', (e) => this.log.debug({ err: e, remote }, 'agent socket error'));
    this.helloTimer = setTimeout(
      () => this.close(CLOSE_CODES.badHello, 'no hello within the time allowed'),
      helloTimeoutMs,
    );
    this.send({ type: 'challenge', nonce: this.nonce, serverTime, protocol: AGENT_PROTOCOL_VERSION });
  }

  get authenticated(): boolean {
    return this.deviceId !== null;
  }

  authenticate(deviceId: string, hostname: string): void {
    this.deviceId = deviceId;
    this.hostname = hostname;
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
  }

  /** False when the socket is no longer open (the caller treats the agent as gone). */
  send(msg: ServerMessage): boolean {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    this.ws.send(encodeServerMessage(msg));
    return true;
  }

  close(code: CloseCode, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(code, reason.slice(0, 120));
      // A peer that never answers the close handshake must not hold the slot.
      setTimeout(() => this.ws.terminate(), 5000).unref();
    }
  }

  /**
   * One liveness sweep. A socket is dropped only when a ping went unanswered: silent since the
   * previous sweep, which pinged it. Sockets that sent a frame within `heardWithinMs` are not
   * pinged (agents heartbeat more often than sweeps run; pinging 10,000 sockets at once took the
   * server a second every sweep); one that then falls silent is pinged at the next sweep and
   * dropped at the one after if it does not answer.
   */
  sweep(heardWithinMs: number | null = null): void {
    if (!this.alive && this.pinged) {
      this.log.info({ deviceId: this.deviceId, remote: this.remote }, 'agent stopped answering; dropping');
      this.ws.terminate();
      return;
    }
    this.alive = false;
    const recent = heardWithinMs !== null && Date.now() - this.lastFrameAt < heardWithinMs;
    this.pinged = !recent;
    if (!recent && this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    this.alive = true;
    this.lastFrameAt = Date.now();
    if (isBinary) {
      // Binary frames are reserved for high-volume streams that no agent sends yet.
      this.log.warn({ deviceId: this.deviceId }, 'agent sent a binary frame; ignored');
      return;
    }
    let msg: AgentMessage;
    try {
      msg = parseAgentMessage(rawText(data));
    } catch (e) {
      const why = e instanceof AgentProtocolError ? e.message : String(e);
      this.log.warn({ deviceId: this.deviceId, remote: this.remote, why }, 'bad agent message');
      if (!this.authenticated) this.close(CLOSE_CODES.badHello, why);
      else this.handler.invalid?.(this, e instanceof AgentProtocolError ? e.raw : undefined, why);
      return;
    }
    this.chain = this.chain
      .then(() => this.handle(msg))
      .catch((e: unknown) => {
        // Handling failed (a database error, say): the agent repeats what matters (results stay in
        // its outbox until acked), so the socket stays up.
        this.log.error({ err: e, deviceId: this.deviceId, type: msg.type }, 'agent message failed');
      });
  }

  private async handle(msg: AgentMessage): Promise<void> {
    if (this.closedOnce) return;
    if (msg.type === 'hello') {
      if (this.authenticated) {
        this.log.warn({ deviceId: this.deviceId }, 'second hello on one connection; ignored');
        return;
      }
      await this.handler.hello(this, msg);
      return;
    }
    if (!this.authenticated) {
      this.close(CLOSE_CODES.badHello, `expected hello, got ${msg.type}`);
      return;
    }
    await this.handler.message(this, msg);
  }

  private onClose(): void {
    if (this.closedOnce) return;
    this.closedOnce = true;
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.handler.closed(this);
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
