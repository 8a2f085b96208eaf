import type { Readable } from 'node:stream';

/** Where a stored blob landed: its content address and length. */
export interface BlobRef {
  sha256: string;
  size: number;
}

/** Options of a put. */
export interface PutOptions {
  /** Refuse (InputError, nothing stored) when the content hashes differently. */
  expectedSha256?: string;
  /** Default `application/octet-stream`. */
  contentType?: string;
}

/** An upload arriving in pieces (an agent's stream): write, then finish or abort. */
export interface BlobWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Stores the blob; throws an InputError and keeps nothing when the hash differs from `expectedSha256`. */
  finish(opts?: PutOptions): Promise<BlobRef>;
  /** Drops what was written. Safe to call after finish or twice. */
  abort(): Promise<void>;
}

/**
 * Content-addressed blob storage (investigation packages, collected files). A port: the file
 * store under the data directory is the default; another store can replace it.
 */
export interface BlobStore {
  /** Stores a stream, a file (by path) or bytes. The same content stored twice is one blob. */
  put(source: Readable | Uint8Array | { file: string }, opts?: PutOptions): Promise<BlobRef>;
  /** An incremental writer for uploads that arrive in chunks. */
  writer(): Promise<BlobWriter>;
  /** The blob's bytes; NotFoundError when it is not stored. */
  open(sha256: string): Promise<Readable>;
  has(sha256: string): Promise<boolean>;
  /** Its size in bytes, or null when it is not stored. */
  size(sha256: string): Promise<number | null>;
}
