import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AgentMessage, ServerMessage, WelcomeMessage } from '@quell/contracts/agent';
import { UploadError } from '../errors.js';

/** Raw chunk size; base64 makes each `stream_data` about 350 KB, well under the frame limit. */
export const UPLOAD_CHUNK_BYTES = 256 * 1024;
/** Above this many queued bytes the uploader waits for the socket to drain. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const ACK_TIMEOUT_MS = 120_000;
const ATTEMPTS = 3;

/** The socket went away mid-stream: the upload can start over on the next connection. */
class StreamDroppedError extends UploadError {
  constructor() {
    super('the connection to the server dropped during the upload');
  }
}

/** What the uploader needs from the channel. */
export interface StreamChannel {
  readonly connected: boolean;
  readonly bufferedAmount: number;
  send(msg: AgentMessage, written?: (err?: Error) => void): boolean;
  onMessage(listener: (m: ServerMessage) => void): () => void;
  onWelcome(listener: (m: WelcomeMessage) => void): () => void;
}

export interface UploadOutcome {
  streamId: string;
  sha256: string;
  sizeBytes: number;
}

/**
 * Streams `filePath` to the server as an `upload` stream for `actionId`: `stream_open`,
 * base64 `stream_data` chunks (waiting whenever the socket's send buffer is above 4 MiB, so a
 * large package never sits in memory), `stream_close` with the SHA-256, then waits for the
 * server's `stream_ack` and checks it names the same hash. A dropped connection restarts the
 * stream after the next `welcome` (three attempts).
 */
export async function uploadFile(
  channel: StreamChannel,
  actionId: string,
  filePath: string,
  signal?: AbortSignal,
): Promise<UploadOutcome> {
  let last: unknown;
  for (let i = 0; i < ATTEMPTS; i++) {
    await waitConnected(channel, signal);
    try {
      return await uploadOnce(channel, actionId, filePath, signal);
    } catch (e) {
      last = e;
      if (signal?.aborted || !(e instanceof StreamDroppedError)) throw e;
    }
  }
  throw last instanceof Error ? last : new UploadError(String(last));
}

async function uploadOnce(
  channel: StreamChannel,
  actionId: string,
  filePath: string,
  signal?: AbortSignal,
): Promise<UploadOutcome> {
  const { size } = await stat(filePath);
  const streamId = randomBytes(8).toString('hex');
  const acked = awaitAck(channel, streamId, signal);
  // Keep the ack promise from rejecting unobserved while the data is still going out.
  acked.catch(() => undefined);
  const send = (msg: AgentMessage, written?: (err?: Error) => void): void => {
    if (!channel.send(msg, written)) throw new StreamDroppedError();
  };
  send({
    type: 'stream_open',
    streamId,
    kind: 'upload',
    actionId,
    size,
    name: basename(filePath),
    contentType: 'application/zip',
  });
  const hash = createHash('sha256');
  let seq = 0;
  for await (const chunk of createReadStream(filePath, { highWaterMark: UPLOAD_CHUNK_BYTES, signal })) {
    const buf = chunk as Buffer;
    hash.update(buf);
    if (channel.bufferedAmount > HIGH_WATER_BYTES) {
      await new Promise<void>((resolve, reject) =>
        send({ type: 'stream_data', streamId, seq: seq++, data: buf.toString('base64') }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    } else {
      send({ type: 'stream_data', streamId, seq: seq++, data: buf.toString('base64') });
    }
  }
  const sha256 = hash.digest('hex');
  send({ type: 'stream_close', streamId, sha256 });
  const ack = await acked;
  if (!ack.ok) throw new UploadError(`the server refused the upload: ${ack.error ?? 'no reason given'}`);
  if (ack.sha256 && ack.sha256 !== sha256) {
    throw new UploadError(`the server stored sha256 ${ack.sha256} but the agent sent ${sha256}`);
  }
  return { streamId, sha256, sizeBytes: size };
}

type StreamAck = Extract<ServerMessage, { type: 'stream_ack' }>;

function awaitAck(channel: StreamChannel, streamId: string, signal?: AbortSignal): Promise<StreamAck> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      off();
      offWelcome();
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const off = channel.onMessage((m) => {
      if (m.type === 'stream_ack' && m.streamId === streamId) {
        done();
        resolve(m);
      }
    });
    // A new welcome means the old socket (and this stream with it) is gone.
    const offWelcome = channel.onWelcome(() => {
      done();
      reject(new StreamDroppedError());
    });
    const onAbort = (): void => {
      done();
      reject(new UploadError('upload aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      done();
      reject(new UploadError(`no stream_ack from the server within ${ACK_TIMEOUT_MS / 1000} s`));
    }, ACK_TIMEOUT_MS);
  });
}

function waitConnected(channel: StreamChannel, signal?: AbortSignal): Promise<void> {
  if (channel.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      off();
      reject(new UploadError('upload aborted while waiting for the server'));
    };
    const off = channel.onWelcome(() => {
      off();
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
