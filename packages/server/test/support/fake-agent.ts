import { createHash, generateKeyPairSync, sign, verify, createPublicKey, type KeyObject } from 'node:crypto';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { stringify } from 'safe-stable-stringify';
import {
  AGENT_PROTOCOL_VERSION,
  commandSigningText,
  helloSigningText,
  type AgentMessage,
  type AgentState,
  type Command,
  type CommandMessage,
  type Detection,
  type Inventory,
  type ServerMessage,
} from '@quell/contracts';

/** What a fake agent answers to a command once it has "run" it. */
export interface CannedResult {
  status: 'succeeded' | 'failed' | 'cancelled';
  result: Record<string, unknown>;
  evidence?: Record<string, unknown>;
  detections?: Detection[];
  error?: string;
  /** Upload this package first (collect_investigation_package). */
  upload?: Buffer;
}

export const offState = (): AgentState => ({
  isolation: { state: 'off', checkedAt: 0, actionId: null, evidence: null, error: null },
  restriction: { state: 'off', checkedAt: 0, actionId: null, evidence: null, error: null },
  issues: [],
});

export const inventory = (hostname: string): Inventory => ({
  hostname,
  os: 'Debian GNU/Linux',
  osVersion: '12',
  kernel: '6.1.0-test',
  arch: 'x86_64',
  addresses: ['10.0.0.5'],
  agentVersion: '0.1.0-test',
  machineId: `mid-${hostname}`,
  capabilities: ['nftables', 'yara'],
});

/** An Ed25519 key pair as an agent makes it; the public half as SPKI DER base64. */
export function agentKeyPair(): { privateKey: KeyObject; publicKeyB64: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKeyB64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
}

/** Whether a command's signature verifies with the server key from the enrollment answer. */
export function commandVerifies(msg: CommandMessage, serverPublicKeyB64: string): boolean {
  const key = createPublicKey({
    key: Buffer.from(serverPublicKeyB64, 'base64'),
    format: 'der',
    type: 'spki',
  });
  return verify(
    null,
    Buffer.from(commandSigningText(stringify(msg.command)), 'utf8'),
    key,
    Buffer.from(msg.signature, 'base64'),
  );
}

function certOf(res: IncomingMessage): string {
  return createHash('sha256')
    .update((res.socket as TLSSocket).getPeerCertificate().raw)
    .digest('hex');
}

/** POSTs an enrollment like an agent, pinning the certificate. */
export function enrollOverHttps(
  agentUrl: string,
  certSha256: string,
  body: unknown,
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${agentUrl}/agent/v1/enroll`,
      { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        if (certOf(res) !== certSha256) return reject(new Error('certificate does not match the pin'));
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

export interface FakeAgentOptions {
  agentUrl: string;
  certSha256: string;
  deviceId: string;
  hostname: string;
  privateKey: KeyObject;
  /** Signs the hello with this key instead (a wrong key, to be refused). */
  helloKey?: KeyObject;
  /** Answer for each command; default a plain success matching the catalog. */
  answer?: (cmd: Command) => CannedResult;
  /** `auto` runs commands at once; `hold` acks them and waits for {@link FakeAgent.finish}. */
  mode?: 'auto' | 'hold';
  /** The server's command key (SPKI base64); commands that do not verify are refused. */
  serverPublicKey?: string;
}

const DEFAULT_RESULTS: Record<string, Record<string, unknown>> = {
  isolate_device: { verified: true, rulesetHash: 'abc123', reachedServer: true },
  release_device: { verified: true },
  restrict_app_execution: { verified: true },
  remove_app_restriction: { verified: true },
  run_av_scan: { filesScanned: 10, filesSkipped: 0, detections: 0, engines: ['hash'], durationMs: 5 },
  collect_investigation_package: { blobSha256: '0'.repeat(64), sizeBytes: 0, items: 0, itemErrors: 0 },
};

/**
 * A protocol-level agent for tests: no OS effects. It remembers what it executed across
 * reconnects (like the real agent's on-disk store), answers repeats with `duplicate` and its
 * stored result, and keeps results in an outbox until the server acks them.
 */
export class FakeAgent {
  ws: WebSocket | null = null;
  readonly received: ServerMessage[] = [];
  /** Action ids in the order the agent actually carried them out. */
  readonly executions: string[] = [];
  readonly stored = new Map<string, AgentMessage & { type: 'result' }>();
  readonly outbox = new Set<string>();
  readonly held = new Map<string, Command>();
  state: AgentState = offState();
  closeCode: number | null = null;
  /** Executes but loses its results (a crash before the outbox write): only a re-send recovers. */
  loseResults = false;
  private closeWaiters: Array<(code: number) => void> = [];

  constructor(public o: FakeAgentOptions) {}

  /** Connects and resolves on welcome; rejects with the close code when refused. */
  connect(): Promise<void> {
    this.closeCode = null;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${this.o.agentUrl.replace(/^https/, 'wss')}/agent/v1/connect`, {
        rejectUnauthorized: false,
        perMessageDeflate: false,
      });
      this.ws = ws;
      ws.on('upgrade', (res) => {
        if (certOf(res) !== this.o.certSha256) ws.terminate();
      });
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as ServerMessage;
        this.received.push(msg);
        if (msg.type === 'welcome') {
          resolve();
          for (const id of this.outbox) this.send(this.stored.get(id)!);
        }
        void this.onMessage(msg);
      });
      ws.on('close', (code) => {
        this.closeCode = code;
        for (const w of this.closeWaiters.splice(0)) w(code);
        reject(new Error(`closed with ${code}`));
      });
      ws.on('error', () => undefined);
    });
  }

  /** Resolves with the close code when the server closes the socket. */
  closed(): Promise<number> {
    if (this.closeCode !== null) return Promise.resolve(this.closeCode);
    return new Promise((r) => this.closeWaiters.push(r));
  }

  send(msg: AgentMessage): void {
    this.ws?.send(JSON.stringify(msg));
  }

  sendRaw(text: string): void {
    this.ws?.send(text);
  }

  setState(state: AgentState): void {
    this.state = state;
    this.send({ type: 'state', state });
  }

  /** Finishes a held command with its answer. */
  finish(actionId: string): void {
    const cmd = this.held.get(actionId);
    if (!cmd) throw new Error(`no held command ${actionId}`);
    this.held.delete(actionId);
    void this.run(cmd);
  }

  async disconnect(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    const done = this.closed();
    ws.close();
    await done;
  }

  commands(): CommandMessage[] {
    return this.received.filter((m): m is CommandMessage => m.type === 'command');
  }

  private async onMessage(msg: ServerMessage): Promise<void> {
    switch (msg.type) {
      case 'challenge': {
        const key = this.o.helloKey ?? this.o.privateKey;
        this.send({
          type: 'hello',
          deviceId: this.o.deviceId,
          protocol: AGENT_PROTOCOL_VERSION,
          signature: sign(null, Buffer.from(helloSigningText(this.o.deviceId, msg.nonce)), key).toString(
            'base64',
          ),
          inventory: inventory(this.o.hostname),
          state: this.state,
          running: [...this.held.keys()],
        });
        return;
      }
      case 'command': {
        const id = msg.command.actionId;
        if (this.o.serverPublicKey && !commandVerifies(msg, this.o.serverPublicKey)) {
          this.send({ type: 'ack', actionId: id, status: 'refused', reason: 'signature does not verify' });
          return;
        }
        if (this.stored.has(id)) {
          this.send({ type: 'ack', actionId: id, status: 'duplicate' });
          this.send(this.stored.get(id)!);
          return;
        }
        if (this.held.has(id)) {
          this.send({ type: 'ack', actionId: id, status: 'accepted' });
          return;
        }
        this.send({ type: 'ack', actionId: id, status: 'accepted' });
        if ((this.o.mode ?? 'auto') === 'hold') this.held.set(id, msg.command);
        else await this.run(msg.command);
        return;
      }
      case 'result_ack':
        this.outbox.delete(msg.actionId);
        return;
      case 'cancel': {
        const cmd = this.held.get(msg.actionId);
        if (!cmd) return;
        this.held.delete(msg.actionId);
        this.record(cmd, { status: 'cancelled', result: {}, error: 'cancelled by the server' });
        return;
      }
      default:
        return;
    }
  }

  private async run(cmd: Command): Promise<void> {
    const answer = this.o.answer?.(cmd) ?? { status: 'succeeded', result: DEFAULT_RESULTS[cmd.type] ?? {} };
    this.executions.push(cmd.actionId);
    if (answer.upload) await this.upload(cmd.actionId, answer.upload);
    this.record(cmd, answer);
  }

  private record(cmd: Command, answer: CannedResult): void {
    const result = {
      type: 'result' as const,
      actionId: cmd.actionId,
      status: answer.status,
      result: answer.result,
      evidence: answer.evidence ?? {},
      ...(answer.error !== undefined && { error: answer.error }),
      ...(answer.detections && { detections: answer.detections }),
      finishedAt: Date.now(),
    };
    this.stored.set(cmd.actionId, result);
    if (this.loseResults) return;
    this.outbox.add(cmd.actionId);
    this.send(result);
  }

  /** Uploads in 64 KiB chunks and waits for the server's stream_ack. */
  private async upload(actionId: string, data: Buffer): Promise<void> {
    const streamId = `up${this.executions.length}`;
    const acked = new Promise<void>((resolve, reject) => {
      const onMsg = (raw: WebSocket.RawData) => {
        const m = JSON.parse(String(raw)) as ServerMessage;
        if (m.type === 'stream_ack' && m.streamId === streamId) {
          this.ws?.off('message', onMsg);
          if (m.ok) resolve();
          else reject(new Error(m.error));
        }
      };
      this.ws?.on('message', onMsg);
    });
    this.send({
      type: 'stream_open',
      streamId,
      kind: 'upload',
      actionId,
      size: data.length,
      name: 'package.zip',
    });
    for (let i = 0, seq = 0; i < data.length; i += 65536, seq++)
      this.send({ type: 'stream_data', streamId, seq, data: data.subarray(i, i + 65536).toString('base64') });
    this.send({ type: 'stream_close', streamId, sha256: createHash('sha256').update(data).digest('hex') });
    await acked;
  }
}
