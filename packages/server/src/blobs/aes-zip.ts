import { Readable, type Writable } from 'node:stream';
import { ZipWriter } from '@zip.js/zip.js';
import { InputError } from '@quell/core';

/** Shortest password a user may choose for a downloaded sample; shorter is refused, not padded. */
export const MIN_ZIP_PASSWORD_LENGTH = 10;
export const MAX_ZIP_PASSWORD_LENGTH = 256;

/** One file to put in the zip: its name inside the archive and its content as a Node stream. */
export interface ZipEntrySource {
  name: string;
  content: Readable;
  modified?: Date;
}

/** Refuses a password that is too short or too long, saying what is needed. */
export function checkZipPassword(password: string): void {
  if (password.length < MIN_ZIP_PASSWORD_LENGTH || password.length > MAX_ZIP_PASSWORD_LENGTH) {
    throw new InputError(
      `The zip password must be ${MIN_ZIP_PASSWORD_LENGTH} to ${MAX_ZIP_PASSWORD_LENGTH} characters long; choose a longer one.`,
      { minLength: MIN_ZIP_PASSWORD_LENGTH },
    );
  }
}

/**
 * Streams entries into an AES-256 encrypted zip (WinZip AE-2, which 7-Zip and most archivers
 * open) written to `out`, one chunk in memory at a time whatever the size: samples may be GBs.
 * Malware samples are shared this way so nothing scans or runs them by accident on the way.
 */
export async function writeAesZip(
  entries: readonly ZipEntrySource[],
  out: Writable,
  password: string,
): Promise<void> {
  checkZipPassword(password);
  const sink = new WritableStream<Uint8Array>({
    write: (chunk) =>
      new Promise<void>((resolve, reject) => {
        out.write(chunk, (err) => (err ? reject(err) : resolve()));
      }),
    close: () => new Promise<void>((resolve) => out.end(resolve)),
    abort: (reason) => {
      out.destroy(reason instanceof Error ? reason : new Error(String(reason)));
    },
  });
  // Web workers are off: the server is a plain Node process and zip.js falls back to streams.
  const zip = new ZipWriter(sink, {
    useWebWorkers: false,
    password,
    encryptionStrength: 3,
    zipCrypto: false,
    level: 6,
  });
  for (const e of entries) {
    await zip.add(e.name, Readable.toWeb(e.content) as ReadableStream<Uint8Array>, {
      lastModDate: e.modified ?? new Date(),
    });
  }
  await zip.close();
}
