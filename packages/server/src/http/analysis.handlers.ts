import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ANALYSIS_ROUTES } from '@quell/contracts';
import { InputError } from '@quell/core';
import type { Services } from '../services/services.js';
import { who, type Handlers } from './handler-types.js';

/**
 * A raw request body, handed to the handler unread so an upload streams into the blob store with
 * its own size limit. The stream sits in a private field: the app's input checks walk a body's
 * own properties, and a socket's are not theirs to walk.
 */
export class RawBody {
  readonly #stream: Readable;
  constructor(stream: Readable) {
    this.#stream = stream;
  }
  get stream(): Readable {
    return this.#stream;
  }
}

/** Routes that take a raw `application/octet-stream` body. */
const RAW_BODY_URLS: ReadonlySet<string> = new Set([ANALYSIS_ROUTES.uploadAnalysis.url]);

/**
 * Accepts `application/octet-stream` for the routes above only (unparsed, see {@link RawBody});
 * anywhere else it is refused with a message naming the right content type. Fastify's global body
 * limit does not apply to an unparsed stream: the service enforces its own.
 */
export function registerRawBodyParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/octet-stream', (req, payload, done) => {
    if (RAW_BODY_URLS.has(req.routeOptions.url ?? '')) {
      done(null, new RawBody(payload));
      return;
    }
    done(
      new InputError('This route takes a JSON body: send content-type application/json.', {
        contentType: 'application/octet-stream',
      }),
      undefined,
    );
  });
}

/** Handlers of the deep-analysis routes (thin: one service call each). */
export function analysisHandlers(s: Services): Pick<Handlers, keyof typeof ANALYSIS_ROUTES> {
  return {
    submitAnalysis: (c) => s.analyses.submit(who(c).principal, c.body),
    uploadAnalysis: (c) => {
      const body: unknown = c.req.body;
      if (!(body instanceof RawBody)) {
        throw new InputError(
          'Send the file as the request body with content-type application/octet-stream (curl --data-binary @file).',
          { contentType: c.req.headers['content-type'] ?? null },
        );
      }
      return s.analyses.upload(who(c).principal, c.query, body.stream);
    },
    listAnalyses: (c) => s.analyses.list(c.query),
    getAnalysis: (c) => s.analyses.get(c.params.id),
    resubmitAnalysis: (c) => s.analyses.resubmit(who(c).principal, c.params.id, c.body),
    cancelAnalysis: (c) => s.analyses.cancel(who(c).principal, c.params.id, c.body.comment),
    downloadAnalysisFile: async (c) => {
      const d = await s.analyses.downloadFile(who(c).principal, c.params.id, c.body);
      void c.reply
        .type('application/zip')
        .header('content-disposition', `attachment; filename="${d.filename}"`);
      return d.stream;
    },
  };
}
