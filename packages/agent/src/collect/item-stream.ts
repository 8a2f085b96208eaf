import { createHash } from 'node:crypto';
import { CollectionAbortedError, SourceMissingError } from './errors.js';

/** What a source produced once its stream has been consumed. */
export interface ItemOutcome {
  bytes: number;
  sha256: string;
  /** The cap cut the content short. */
  truncated: boolean;
  /** The source failed after producing some content (which is kept). */
  error: unknown;
}

export type PrimedItem =
  | { state: 'missing'; error: SourceMissingError }
  | { state: 'failed'; error: unknown }
  | { state: 'ready'; stream: ReadableStream<Uint8Array>; outcome: Promise<ItemOutcome> };

type Chunk = Uint8Array | string;

/**
 * Starts a source and waits for its first chunk before anything is written to the package, so
 * a source that is absent or fails at once leaves no empty entry behind, only a summary line.
 * The returned stream hashes and counts what passes, stops at `maxBytes` (closing the source,
 * which kills a command), and turns a later failure into a normal end with `outcome.error`
 * set: the zip never sees a stream error except on abort.
 */
export async function primeSource(
  source: AsyncIterable<Chunk>,
  opts: { maxBytes: number; signal: AbortSignal },
): Promise<PrimedItem> {
  const it = source[Symbol.asyncIterator]();
  let first: IteratorResult<Chunk>;
  try {
    first = await it.next();
  } catch (err) {
    if (err instanceof SourceMissingError) return { state: 'missing', error: err };
    return { state: 'failed', error: err };
  }
  let pending: IteratorResult<Chunk> | null = first;
  const hash = createHash('sha256');
  let bytes = 0;
  let truncated = false;
  let error: unknown = null;
  let settle!: (o: ItemOutcome) => void;
  const outcome = new Promise<ItemOutcome>((resolve) => (settle = resolve));
  let finished: ItemOutcome | null = null;
  const finish = (): void => {
    if (finished) return;
    finished = { bytes, sha256: hash.digest('hex'), truncated, error };
    settle(finished);
  };
  const stop = async (): Promise<void> => {
    try {
      await it.return?.();
    } catch (err) {
      error ??= err;
    }
  };

  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (opts.signal.aborted) {
          await stop();
          finish();
          controller.error(new CollectionAbortedError());
          return;
        }
        let r: IteratorResult<Chunk>;
        try {
          r = pending ?? (await it.next());
          pending = null;
        } catch (err) {
          error = err;
          finish();
          controller.close();
          return;
        }
        if (r.done) {
          finish();
          controller.close();
          return;
        }
        let chunk = typeof r.value === 'string' ? Buffer.from(r.value, 'utf8') : r.value;
        if (chunk.byteLength === 0) continue;
        const room = opts.maxBytes - bytes;
        if (chunk.byteLength > room) {
          truncated = true;
          chunk = chunk.subarray(0, room);
        }
        if (chunk.byteLength > 0) {
          hash.update(chunk);
          bytes += chunk.byteLength;
          controller.enqueue(chunk);
        }
        if (truncated) {
          await stop();
          finish();
          controller.close();
        }
        return;
      }
    },
    async cancel() {
      await stop();
      finish();
    },
  });
  return { state: 'ready', stream, outcome };
}
