import { request } from 'node:https';
import { UnreachableError } from '../errors.js';
import { connectPinned } from './pinned-tls.js';

export interface PinnedResponse {
  status: number;
  body: unknown;
  /** The pinned certificate the server presented. */
  certPem: string;
}

/**
 * POSTs JSON over a connection whose certificate was checked against `pinSha256` first (see
 * {@link connectPinned}); the body is only written to that verified socket.
 */
export async function postJsonPinned(
  url: URL,
  pinSha256: string,
  body: unknown,
  opts: { timeoutMs?: number } = {},
): Promise<PinnedResponse> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const { socket, certPem } = await connectPinned(url, pinSha256, { timeoutMs });
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: 'POST',
        host: url.hostname,
        port: url.port || 443,
        path: url.pathname + url.search,
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
        // No agent: with `createConnection` and no agent, Node uses exactly this verified socket
        // (`agent: false` would make a fresh Agent that opens its own, unpinned connection).
        createConnection: () => socket,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? (JSON.parse(text) as unknown) : null;
          } catch {
            // Not JSON (a proxy's HTML page, say): the caller shows the raw text.
          }
          socket.destroy();
          resolve({ status: res.statusCode ?? 0, body: parsed, certPem });
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new UnreachableError(`no answer from ${url.host} within ${timeoutMs} ms`)),
    );
    req.on('error', (e) => {
      socket.destroy();
      reject(
        e instanceof UnreachableError
          ? e
          : new UnreachableError(`request to ${url.host} failed: ${e.message}`, { cause: e }),
      );
    });
    req.end(payload);
  });
}
