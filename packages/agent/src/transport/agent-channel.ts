import type { KeyObject } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';
import {
  AGENT_PROTOCOL_VERSION,
  CLOSE_CODES,
  helloSigningText,
  type AgentMessage,
  type AgentState,
  type Inventory,
  type ServerMessage,
  type WelcomeMessage,
} from '@quell/contracts/agent';
import { errorMessage, PinMismatchError } from '../errors.js';
import { connectPinned } from '../identity/pinned-tls.js';
import { signText } from '../identity/key-store.js';
import type { Logger } from '../log.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { parseServerMessage } from './server-messages.js';
import { uploadFile, type UploadOutcome } from './upload.js';

/** Why the channel stopped for good. */
export const CHANNEL_STOP_REASONS = ['stopped', 'revoked', 'unknown_device'] as const;
export type ChannelStopReason = (typeof CHANNEL_STOP_REASONS)[number];

/** What a `hello` carries besides the signature; asked for on every connection. */
export interface HelloInfo {
  inventory: Inventory;
  state: AgentState;
  running: string[];
}

export interface AgentChannelOptions {
  /** `https://host[:port]`; the socket goes to `wss://host[:port]/agent/v1/connect`. */
  serverUrl: string;
  certSha256: string;
  deviceId: string;
  privateKey: KeyObject;
  helloInfo: () => Promise<HelloInfo>;
  /** State for each heartbeat. */
  currentState: () => AgentState;
  /** Overrides the server's heartbeat interval (config `heartbeatMs`). */
  heartbeatMs?: number | null;
  log: Logger;
  /** [0, 1) for backoff jitter. Default `Math.random`. */
  random?: () => number;
  backoff?: BackoffPolicy;
  /** TLS + upgrade deadline. Default 10 s. */
  connectTimeoutMs?: number;
  /** Deadline of a {@link AgentChannel.probe}. Default 5 s. */
  probeTimeoutMs?: number;
}

type Listener<T> = (value: T) => void;

/**
 * The agent's one WebSocket to the server (ARCHITECTURE §4): pinned TLS on every connection,
 * challenge → signed hello → welcome, heartbeats, liveness pings, reconnect with jittered
 * backoff, and a stop on revocation. Server messages are validated before they are dispatched;
 * `challenge` and `welcome` are handled here, everything else goes to {@link onMessage}.
 */
export class AgentChannel {
  private ws: WebSocket | null = null;
  private welcomed = false;
  private stopped: ChannelStopReason | null = null;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private lastSeen = 0;
  private readonly messageListeners = new Set<Listener<ServerMessage>>();
  private readonly welcomeListeners = new Set<Listener<WelcomeMessage>>();
  private readonly stopListeners = new Set<Listener<ChannelStopReason>>();
  private readonly random: () => number;
  private readonly wsUrl: string;

  constructor(private readonly opts: AgentChannelOptions) {
    this.random = opts.random ?? Math.random;
    const url = new URL('/agent/v1/connect', opts.serverUrl);
    url.protocol = 'wss:';
    this.wsUrl = url.toString();
  }

  /** True between `welcome` and the socket closing. */
  get connected(): boolean {
    return this.welcomed && this.ws?.readyState === WebSocket.OPEN;
  }

  /** Why the channel stopped for good, or null while it is (re)connecting. */
  get stopReason(): ChannelStopReason | null {
    return this.stopped;
  }

  /** Bytes queued on the socket and not yet written (for stream backpressure). */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  start(): void {
    if (this.ws || this.reconnectTimer) return;
    this.stopped = null;
    this.connect();
  }

  /** Closes the socket and stops reconnecting. */
  async stop(): Promise<void> {
    this.finish('stopped');
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2_000);
      ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      ws.close(1000, 'agent stopping');
    });
  }

  /**
   * Sends one message when connected; false when not (the caller keeps what matters, like
   * results in the outbox). `written` runs once the frame left the process.
   */
  send(msg: AgentMessage, written?: (err?: Error) => void): boolean {
    if (!this.connected || !this.ws) return false;
    this.ws.send(JSON.stringify(msg), written);
    return true;
  }

  onMessage(listener: Listener<ServerMessage>): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /** Runs after each `welcome` (first connection and every reconnect). */
  onWelcome(listener: Listener<WelcomeMessage>): () => void {
    this.welcomeListeners.add(listener);
    return () => this.welcomeListeners.delete(listener);
  }

  onStop(listener: Listener<ChannelStopReason>): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  /**
   * Whether the server is reachable now, by a fresh pinned TLS connection (not the live socket:
   * an established flow can survive a firewall change that blocks new ones, and isolation must
   * know that the agent could reconnect). Never throws.
   */
  async probe(signal?: AbortSignal): Promise<boolean> {
    try {
      const { socket } = await connectPinned(new URL(this.opts.serverUrl), this.opts.certSha256, {
        timeoutMs: this.opts.probeTimeoutMs ?? 5_000,
        ...(signal ? { signal } : {}),
      });
      socket.destroy();
      return true;
    } catch (e) {
      this.opts.log.warn('server probe failed', { error: errorMessage(e) });
      return false;
    }
  }

  /** Streams a file to the server for `actionId` (see {@link uploadFile}). */
  upload(actionId: string, filePath: string, signal?: AbortSignal): Promise<UploadOutcome> {
    return uploadFile(this, actionId, filePath, signal);
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.stopped) return;
    const timeoutMs = this.opts.connectTimeoutMs ?? 10_000;
    connectPinned(new URL(this.opts.serverUrl), this.opts.certSha256, { timeoutMs }).then(
      ({ socket }) => {
        if (this.stopped) {
          socket.destroy();
          return;
        }
        const ws = new WebSocket(this.wsUrl, {
          createConnection: () => socket,
          handshakeTimeout: timeoutMs,
          maxPayload: 16 * 1024 * 1024,
          perMessageDeflate: false,
        });
        this.ws = ws;
        this.lastSeen = Date.now();
        ws.on('message', (data: RawData, isBinary: boolean) => this.onFrame(ws, data, isBinary));
        ws.on('pong', () => (this.lastSeen = Date.now()));
        ws.on('error', (e) => this.opts.log.warn('channel error', { error: e.message }));
        ws.on('close', (code, reason) => this.onClose(ws, code, reason.toString()));
      },
      (e: unknown) => {
        const level = e instanceof PinMismatchError ? 'error' : 'warn';
        this.opts.log[level]('cannot connect to the server', { error: errorMessage(e) });
        this.scheduleReconnect();
      },
    );
  }

  private onFrame(ws: WebSocket, data: RawData, isBinary: boolean): void {
    this.lastSeen = Date.now();
    if (isBinary) {
      this.opts.log.debug('ignoring a binary frame (no binary streams yet)');
      return;
    }
    const parsed = parseServerMessage(rawToString(data));
    if (!parsed.ok) {
      this.opts.log.warn('ignoring a server message', { error: parsed.error });
      return;
    }
    const msg = parsed.message;
    if (msg.type === 'challenge') {
      void this.answerChallenge(ws, msg.nonce);
      return;
    }
    if (msg.type === 'welcome') {
      this.welcomed = true;
      this.attempt = 0;
      this.startHeartbeat(ws, this.opts.heartbeatMs ?? msg.heartbeatMs);
      this.opts.log.info('connected to the server', { deviceId: msg.deviceId });
      for (const l of this.welcomeListeners) l(msg);
      return;
    }
    if (!this.welcomed) {
      this.opts.log.warn('ignoring a message before welcome', { type: msg.type });
      return;
    }
    for (const l of this.messageListeners) l(msg);
  }

  private async answerChallenge(ws: WebSocket, nonce: string): Promise<void> {
    try {
      const info = await this.opts.helloInfo();
      const hello: AgentMessage = {
        type: 'hello',
        deviceId: this.opts.deviceId,
        protocol: AGENT_PROTOCOL_VERSION,
        signature: signText(this.opts.privateKey, helloSigningText(this.opts.deviceId, nonce)),
        inventory: info.inventory,
        state: info.state,
        running: info.running,
      };
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(hello));
    } catch (e) {
      this.opts.log.error('cannot build the hello; reconnecting', { error: errorMessage(e) });
      ws.terminate();
    }
  }

  private startHeartbeat(ws: WebSocket, everyMs: number): void {
    this.stopHeartbeat();
    const interval = Math.max(50, everyMs);
    this.heartbeatTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      // Half-open TCP (a NAT dropped the flow, the server host died) never closes by itself:
      // without an answer for three intervals, drop the socket and reconnect.
      if (Date.now() - this.lastSeen > 3 * interval) {
        this.opts.log.warn('no answer from the server; reconnecting', {
          silentMs: Date.now() - this.lastSeen,
        });
        ws.terminate();
        return;
      }
      ws.ping();
      ws.send(JSON.stringify({ type: 'heartbeat', state: this.opts.currentState() } satisfies AgentMessage));
    }, interval);
    this.heartbeatTimer.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (this.ws !== ws) return;
    this.ws = null;
    this.welcomed = false;
    this.stopHeartbeat();
    if (code === CLOSE_CODES.revoked) {
      this.opts.log.error('the server revoked this device; not reconnecting. Re-enroll it to bring it back', {
        reason,
      });
      this.finish('revoked');
      return;
    }
    if (code === CLOSE_CODES.unknownDevice) {
      this.opts.log.error(
        'the server does not know this device; not reconnecting. Re-enroll it with a new token',
        { reason },
      );
      this.finish('unknown_device');
      return;
    }
    if (this.stopped) return;
    if (code === CLOSE_CODES.replaced) {
      // Another process holds this device's identity (a cloned VM, a second agent): retrying
      // at once would make the two evict each other in a tight loop.
      this.attempt = Math.max(this.attempt, 5);
      this.opts.log.error(
        'another connection with this device identity replaced this one; is the agent running twice or was the machine cloned?',
        { reason },
      );
    } else {
      this.opts.log.warn('disconnected from the server', { code, reason });
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = backoffDelay(this.attempt++, this.random, this.opts.backoff ?? DEFAULT_BACKOFF);
    this.opts.log.debug('reconnecting', { inMs: delay, attempt: this.attempt });
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private finish(reason: ChannelStopReason): void {
    if (this.stopped) return;
    this.stopped = reason;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopHeartbeat();
    for (const l of this.stopListeners) l(reason);
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}
