import { createHash, type Hash } from 'node:crypto';
import type { Logger } from 'pino';
import type { StreamAck, StreamClose, StreamData, StreamOpen } from '@quell/contracts';
import type { Store } from '@quell/store';
import { belongsTo, type AgentIdentity } from './agent-results.js';
import type { UploadSink, UploadWriter } from './gateway-ports.js';

/** Actions whose agents may upload their output, and which of the upload limits applies. */
const UPLOAD_LIMIT_OF: ReadonlyMap<string, keyof UploadLimits> = new Map([
  ['collect_investigation_package', 'package'],
  // files (issue 4): a collected file, or the copy a quarantine keeps (QUELL_FILE_MAX_BYTES).
  ['collect_file', 'file'],
  ['stop_and_quarantine_file', 'file'],
]);

/** Largest upload per kind, in bytes. */
export interface UploadLimits {
  package: number;
  file: number;
}
/** Uploads one connection may have open at once. */
const MAX_OPEN = 4;

interface Upload {
  actionId: string;
  size: number;
  received: number;
  nextSeq: number;
  hash: Hash;
  writer: UploadWriter;
  contentType: string;
}

/**
 * Uploads from one agent connection (investigation packages): `stream_open` with the size,
 * `stream_data` chunks in order, `stream_close` with the SHA-256. Bytes go straight to the blob
 * store's writer while they are hashed; the blob exists only once size and hash match, and the
 * answer is a `stream_ack` either way.
 */
export class UploadStreams {
  private readonly open = new Map<string, Upload>();

  constructor(
    private readonly who: AgentIdentity,
    private readonly store: Store,
    private readonly sink: UploadSink,
    private readonly limits: UploadLimits,
    private readonly log: Logger,
    private readonly reply: (ack: StreamAck) => void,
  ) {}

  async opened(msg: StreamOpen): Promise<void> {
    const refuse = (error: string) =>
      this.reply({ type: 'stream_ack', streamId: msg.streamId, ok: false, error });
    if (msg.kind !== 'upload') return refuse(`stream kind ${msg.kind} is not supported yet`);
    if (this.open.has(msg.streamId)) return refuse('a stream with this id is already open');
    if (this.open.size >= MAX_OPEN) return refuse(`at most ${MAX_OPEN} uploads at once`);
    if (msg.size === undefined || !msg.actionId) return refuse('an upload names its action and size');
    const row = await this.store.actions.get(this.store.db, msg.actionId);
    const limit = row ? UPLOAD_LIMIT_OF.get(row.type) : undefined;
    if (!row || !belongsTo(row, this.who) || !limit)
      return refuse(`action ${msg.actionId} takes no upload from this device`);
    if (msg.size > this.limits[limit])
      return refuse(`${msg.size} bytes is over the server's upload limit of ${this.limits[limit]} bytes`);
    if (row.status !== 'dispatched' && row.status !== 'running')
      return refuse(`action ${msg.actionId} is ${row.status}`);
    this.open.set(msg.streamId, {
      actionId: msg.actionId,
      size: msg.size,
      received: 0,
      nextSeq: 0,
      hash: createHash('sha256'),
      writer: await this.sink.begin(),
      contentType: msg.contentType ?? 'application/octet-stream',
    });
  }

  async data(msg: StreamData): Promise<void> {
    const u = this.open.get(msg.streamId);
    if (!u) return;
    if (msg.seq !== u.nextSeq)
      return this.fail(msg.streamId, `chunk ${msg.seq} arrived, ${u.nextSeq} expected`);
    const chunk = Buffer.from(msg.data, 'base64');
    u.nextSeq++;
    u.received += chunk.length;
    if (u.received > u.size) return this.fail(msg.streamId, `more than the announced ${u.size} bytes`);
    u.hash.update(chunk);
    await u.writer.write(chunk);
  }

  async closed(msg: StreamClose): Promise<void> {
    const u = this.open.get(msg.streamId);
    if (!u) return;
    if (msg.error) return this.fail(msg.streamId, `the agent gave up: ${msg.error}`);
    const sha256 = u.hash.digest('hex');
    if (u.received !== u.size) return this.fail(msg.streamId, `${u.received} of ${u.size} bytes arrived`);
    if (msg.sha256 !== sha256)
      return this.fail(
        msg.streamId,
        `SHA-256 mismatch: announced ${msg.sha256 ?? 'none'}, received ${sha256}`,
      );
    this.open.delete(msg.streamId);
    try {
      await u.writer.commit({ sha256, size: u.size, contentType: u.contentType });
    } catch (e) {
      await u.writer.abort().catch(() => undefined);
      this.log.error({ err: e, actionId: u.actionId }, 'storing an agent upload failed');
      return this.reply({
        type: 'stream_ack',
        streamId: msg.streamId,
        ok: false,
        error: 'the server could not store it',
      });
    }
    this.log.info({ actionId: u.actionId, sha256, size: u.size }, 'agent upload stored');
    this.reply({ type: 'stream_ack', streamId: msg.streamId, ok: true, sha256 });
  }

  /** The connection ended: half-received uploads are dropped. */
  async abortAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((u) => u.writer.abort().catch(() => undefined)));
  }

  private async fail(streamId: string, error: string): Promise<void> {
    const u = this.open.get(streamId);
    this.open.delete(streamId);
    if (u) await u.writer.abort().catch(() => undefined);
    this.log.warn({ streamId, actionId: u?.actionId, error }, 'agent upload refused');
    this.reply({ type: 'stream_ack', streamId, ok: false, error });
  }
}
