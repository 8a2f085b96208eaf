import { connect, type TLSSocket, type PeerCertificate } from 'node:tls';
import { PinMismatchError, UnreachableError } from '../errors.js';

/** SHA-256 of a certificate's DER, hex lowercase without colons (the pin's format). */
export function certFingerprint(cert: Pick<PeerCertificate, 'fingerprint256'>): string {
  return cert.fingerprint256.replace(/:/g, '').toLowerCase();
}

/** `-----BEGIN CERTIFICATE-----` PEM of a peer certificate's DER. */
export function certPem(raw: Buffer): string {
  const b64 = raw.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

export interface PinnedConnectOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Opens a TLS connection to `url`'s host and resolves only once the server's certificate is the
 * pinned one. Chain validation is off on purpose (the listener's certificate is usually
 * self-signed), and Node's `checkServerIdentity` is not called for an unverified chain, so the
 * pin is the check: it runs after the handshake and before the caller can write a byte, and on
 * mismatch the socket is destroyed with {@link PinMismatchError}. The returned socket is handed
 * to https/ws as their connection, so nothing travels on an unverified channel.
 */
export function connectPinned(
  url: URL,
  pinSha256: string,
  opts: PinnedConnectOptions = {},
): Promise<{ socket: TLSSocket; certPem: string }> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = Number(url.port || 443);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new UnreachableError('aborted before connecting'));
    const isIp = /^[0-9.]+$/.test(host) || host.includes(':');
    const socket = connect({
      host,
      port,
      rejectUnauthorized: false,
      ...(isIp ? {} : { servername: host }),
      ALPNProtocols: ['http/1.1'],
    });
    const fail = (e: Error): void => {
      cleanup();
      socket.destroy();
      reject(e);
    };
    const onAbort = (): void => fail(new UnreachableError(`connection to ${host}:${port} aborted`));
    const timer = setTimeout(
      () => fail(new UnreachableError(`no TLS handshake with ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onError = (e: Error): void =>
      fail(new UnreachableError(`cannot reach ${host}:${port}: ${e.message}`, { cause: e }));
    const cleanup = (): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.off('error', onError);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', onError);
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate(false);
      if (!cert || !cert.fingerprint256 || !cert.raw) {
        return fail(new UnreachableError(`${host}:${port} presented no certificate`));
      }
      const actual = certFingerprint(cert);
      if (actual !== pinSha256.toLowerCase())
        return fail(new PinMismatchError(pinSha256, actual, `${host}:${port}`));
      cleanup();
      resolve({ socket, certPem: certPem(cert.raw) });
    });
  });
}
