import { createConnection, type Socket } from 'node:net';

/**
 * A minimal clamd client over its unix socket (clamd(8) "COMMANDS"): `zPING` and `zINSTREAM`.
 * Written here because no maintained Node client fits: the npm ones are unmaintained, TCP-only
 * or buffer whole files in memory. INSTREAM (not SCAN <path>) because clamd usually runs as the
 * `clamav` user and cannot open every file; the agent (root) reads them and streams the bytes,
 * and the same read feeds the SHA-256, so each file is read once.
 */

export type ClamdVerdict =
  { kind: 'clean' } | { kind: 'found'; name: string } | { kind: 'error'; message: string };

/** One file being streamed to clamd. */
export interface ClamdStream {
  write(chunk: Buffer): Promise<void>;
  /** Sends the terminating zero-length chunk and waits for the verdict. */
  finish(): Promise<ClamdVerdict>;
  destroy(): void;
}

const NUL = 0;

/** Parses one INSTREAM reply: `stream: OK`, `stream: <name> FOUND`, or `<reason> ERROR`. */
export function parseVerdict(reply: string): ClamdVerdict {
  const text = reply.replace(/\0$/, '').trim();
  const found = /^stream: (.+) FOUND$/.exec(text);
  if (found) return { kind: 'found', name: found[1]! };
  if (text === 'stream: OK') return { kind: 'clean' };
  return { kind: 'error', message: text.replace(/^stream: /, '') || 'empty reply from clamd' };
}

/** Talks to one clamd; each call opens its own connection (cheap on a unix socket). */
export class ClamdClient {
  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = 30_000,
  ) {}

  /** True when clamd answers `PONG` within the timeout. Never throws. */
  async ping(): Promise<boolean> {
    try {
      const conn = await this.connect();
      const reply = conn.reply();
      conn.socket.end(Buffer.from('zPING\0'));
      return (await reply).replace(/\0$/, '') === 'PONG';
    } catch {
      return false;
    }
  }

  /** Opens an INSTREAM session for one file. */
  async openStream(): Promise<ClamdStream> {
    const { socket, reply } = await this.connect();
    const verdict = reply();
    // clamd may answer early (size limit) and close; the verdict is still what counts.
    verdict.catch(() => undefined);
    let broken: Error | null = null;
    socket.on('error', (err) => (broken = err));
    const send = (buf: Buffer): Promise<void> =>
      new Promise((resolve) => {
        if (broken || socket.destroyed) return resolve();
        socket.write(buf, () => resolve());
      });
    await send(Buffer.from('zINSTREAM\0'));
    return {
      async write(chunk) {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(chunk.length);
        await send(len);
        await send(chunk);
      },
      async finish() {
        await send(Buffer.alloc(4));
        try {
          return parseVerdict(await verdict);
        } catch (err) {
          return { kind: 'error', message: (broken ?? (err as Error)).message };
        }
      },
      destroy: () => socket.destroy(),
    };
  }

  private connect(): Promise<{ socket: Socket; reply: () => Promise<string> }> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(this.socketPath);
      socket.setTimeout(this.timeoutMs, () => socket.destroy(new Error('clamd timed out')));
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve({ socket, reply: () => readReply(socket) });
      });
    });
  }
}

/** Resolves with everything clamd sends up to its NUL terminator (or the connection's end). */
function readReply(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const done = (): void => {
      socket.destroy();
      resolve(Buffer.concat(parts).toString('utf8'));
    };
    socket.on('data', (d: Buffer) => {
      parts.push(d);
      if (d.includes(NUL)) done();
    });
    socket.once('end', done);
    socket.once('error', (err) => (parts.length ? done() : reject(err)));
  });
}
