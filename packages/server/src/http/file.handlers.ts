import { PassThrough } from 'node:stream';
import type { FILE_ROUTES } from '@quell/contracts';
import type { Services } from '../services/services.js';
import { deviceQuarantine } from './device-quarantine.query.js';
import { who, type Handlers } from './handler-types.js';

/** Handlers of the file routes (thin: one service call each). */
export function fileHandlers(s: Services): Pick<Handlers, keyof typeof FILE_ROUTES> {
  return {
    listFiles: (c) => s.files.list(c.query),
    getFile: (c) => s.files.get(who(c).principal, c.params.id),
    quarantineFile: (c) => s.files.quarantine(who(c).principal, c.params.id, c.body),
    restoreFile: async (c) => ({ actions: await s.files.restore(who(c).principal, c.params.id, c.body) }),
    listDeviceQuarantine: async (c) => ({
      items: await deviceQuarantine(s, who(c).principal, c.params.id, c.query.all ?? false),
    }),
    collectFile: (c) => s.files.collect(who(c).principal, c.params.id, c.body),
    downloadFile: async (c) => {
      // Checked and audited before the first byte, so a refusal is still a JSON error answer.
      const d = await s.files.openDownload(who(c).principal, c.params.id, c.body);
      const body = new PassThrough();
      d.write(body).catch((e: unknown) => {
        // Headers are gone by now: the client sees a cut-off zip, the log says why.
        s.ctx.log.error({ err: e, sha256: c.params.id }, 'streaming a file download failed');
        body.destroy(e instanceof Error ? e : new Error(String(e)));
      });
      void c.reply
        .type('application/zip')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="${d.filename}"`);
      return body;
    },
  };
}
