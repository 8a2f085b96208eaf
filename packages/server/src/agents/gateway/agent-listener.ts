import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { ERROR_HTTP_STATUS, QuellError } from '@quell/core';
import type { Clock } from '../../ports.js';
import type { AgentGateway } from './agent-gateway.js';
import { AgentProtocolError, parseEnrollRequest } from './agent-messages.js';
import type { Enroller, GatewayKeys } from './gateway-ports.js';

export const ENROLL_PATH = '/agent/v1/enroll';
export const CONNECT_PATH = '/agent/v1/connect';
/** An enrollment body is a token, a key and an inventory: a few KiB at most. */
const MAX_ENROLL_BYTES = 64 * 1024;
/** Largest frame an agent may send: a 1 MiB upload chunk in base64 plus its envelope. */
const MAX_FRAME_BYTES = 2 * 1024 * 1024;

export interface AgentListenerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  keys: Pick<GatewayKeys, 'tlsKeyPem' | 'tlsCertPem'>;
}

class BodyTooLargeError extends Error {}

/**
 * The agents' TLS port: `POST /agent/v1/enroll` and the WebSocket upgrade at
 * `GET /agent/v1/connect`. Separate from the console's HTTP app so it can have its own
 * certificate (the one agents pin), port and exposure.
 */
export class AgentListener {
  private readonly server: Server;
  private readonly wss: WebSocketServer;

  constructor(
    private readonly gateway: AgentGateway,
    private readonly enroller: Enroller,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: AgentListenerOptions,
  ) {
    this.server = createServer({ key: opts.keys.tlsKeyPem, cert: opts.keys.tlsCertPem }, (req, res) => {
      void this.request(req, res);
    });
    // Compression off: it costs memory per socket (10 000 agents) and frames are small JSON.
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_FRAME_BYTES });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (pathOf(req) !== CONNECT_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) =>
        this.gateway.accept(ws, req.socket.remoteAddress ?? 'unknown'),
      );
    });
    this.server.on('tlsClientError', (e) => this.log.debug({ err: e }, 'agent TLS handshake failed'));
  }

  /** Starts listening; resolves with the port actually bound. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Closes agent sockets (`shuttingDown`), then the port. */
  async close(): Promise<void> {
    await this.gateway.stop();
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async request(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (pathOf(req) !== ENROLL_PATH)
      return send(res, 404, { code: 'QUELL_E_NOT_FOUND', message: 'Not found.' });
    if (req.method !== 'POST')
      return send(res, 405, { code: 'QUELL_E_INPUT', message: `${ENROLL_PATH} takes POST.` });
    try {
      const body = parseEnrollRequest(JSON.parse(await readBody(req, MAX_ENROLL_BYTES)) as unknown);
      send(res, 200, await this.enroller.enroll(body, this.clock.now()));
    } catch (e) {
      if (e instanceof QuellError)
        return send(res, ERROR_HTTP_STATUS[e.code], { code: e.code, message: e.message });
      if (e instanceof AgentProtocolError || e instanceof SyntaxError)
        return send(res, 400, { code: 'QUELL_E_INPUT', message: e.message });
      if (e instanceof BodyTooLargeError)
        return send(res, 413, {
          code: 'QUELL_E_INPUT',
          message: `The body is over ${MAX_ENROLL_BYTES} bytes.`,
        });
      this.log.error({ err: e }, 'enrollment failed');
      send(res, 500, { code: 'QUELL_E_INTERNAL', message: 'Enrollment failed on the server; see its log.' });
    }
  }

  /** The URL agents use for a bound port (tests start on port 0). */
  static urlFor(host: string, port: number): string {
    const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    return `https://${h.includes(':') ? `[${h}]` : h}:${port}`;
  }
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        // Stop keeping it but drain the rest, so the 413 can still be answered.
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
