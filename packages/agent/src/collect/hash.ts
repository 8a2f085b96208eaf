import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * SHA-256 (hex) of a regular file, streamed so memory stays flat. The file is opened
 * non-blocking and checked to be regular before reading, so a FIFO swapped in after a listing
 * cannot hang the job. `noFollow` refuses a symlink at the last component (listings hash what is
 * there, not what it points to); /proc/<pid>/exe needs following.
 */
export async function sha256File(
  file: string,
  opts: { signal?: AbortSignal; noFollow?: boolean } = {},
): Promise<string> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (opts.noFollow ? constants.O_NOFOLLOW : 0);
  const fh = await open(file, flags);
  try {
    if (!(await fh.stat()).isFile()) throw new Error(`${file} is not a regular file`);
    const hash = createHash('sha256');
    const stream = fh.createReadStream({ signal: opts.signal, highWaterMark: 1 << 16, autoClose: false });
    for await (const chunk of stream) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await fh.close();
  }
}
