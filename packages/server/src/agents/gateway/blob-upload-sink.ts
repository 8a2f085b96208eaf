import type { BlobStore } from '../../blobs/blob-store.js';
import type { UploadSink } from './gateway-ports.js';

/** Agent uploads written through the blob store's incremental writer. */
export function blobUploadSink(blobs: BlobStore): UploadSink {
  return {
    async begin() {
      const w = await blobs.writer();
      return {
        write: (chunk) => w.write(chunk),
        async commit({ sha256, size, contentType }) {
          const ref = await w.finish({ expectedSha256: sha256, contentType });
          // The hash already proved the bytes; a size mismatch would mean the announced size lied.
          if (ref.size !== size) throw new Error(`stored ${ref.size} bytes, ${size} announced`);
        },
        abort: () => w.abort(),
      };
    },
  };
}
