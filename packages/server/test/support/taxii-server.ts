import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * A small but real TAXII 2.1 server for tests (TAXII 2.1 §4–5): discovery, one API root,
 * collections and their objects endpoint with `added_after`, `match[type]`, `limit` and
 * pagination, behind HTTP basic auth (or a bearer token). Listens on 127.0.0.1, port 0.
 */

const MEDIA_TYPE = 'application/taxii+json;version=2.1';

export interface TaxiiTestObject {
  /** When the object was added to the collection (`date_added`), an RFC 3339 timestamp. */
  dateAdded: string;
  object: { type: string; [k: string]: unknown };
}

export interface TaxiiTestCollection {
  id: string;
  title: string;
  /** `next`: pages carry an opaque `next`; `added_after`: only `more` and the date headers. */
  paging: 'next' | 'added_after';
  objects: TaxiiTestObject[];
}

export interface TaxiiTestServerOptions {
  username: string;
  password: string;
  /** Also accepted, as `Authorization: Bearer <token>`. */
  token?: string;
  /** Objects per page at most, whatever `limit` asks. */
  pageSize: number;
  collections: TaxiiTestCollection[];
}

export interface TaxiiRequestRecord {
  path: string;
  query: Record<string, string>;
}

export interface TaxiiTestServer {
  /** Base URL; the discovery endpoint is `${base}/taxii2/`. */
  base: string;
  discoveryUrl: string;
  apiRootUrl: string;
  /** Objects-endpoint requests, in order. */
  objectRequests: TaxiiRequestRecord[];
  add(collectionId: string, objects: TaxiiTestObject[]): void;
  close(): Promise<void>;
}

const ms = (t: string) => Date.parse(t);

export async function startTaxiiServer(options: TaxiiTestServerOptions): Promise<TaxiiTestServer> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const collections = new Map(options.collections.map((c) => [c.id, { ...c, objects: [...c.objects] }]));
  const objectRequests: TaxiiRequestRecord[] = [];
  let base = '';

  const send = (reply: FastifyReply, status: number, body: unknown) =>
    reply.code(status).header('content-type', MEDIA_TYPE).send(JSON.stringify(body));
  const error = (reply: FastifyReply, status: number, title: string, description: string) =>
    send(reply, status, { title, description, http_status: String(status) });

  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/quirks/')) return;
    const auth = req.headers.authorization ?? '';
    const basic = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    const bearer = options.token ? `Bearer ${options.token}` : null;
    if (auth !== basic && auth !== bearer) {
      reply.header('www-authenticate', 'Basic realm="taxii"');
      return error(reply, 401, 'Unauthorized', 'The credentials are missing or wrong.');
    }
    const accept = (req.headers.accept ?? '').replace(/\s/g, '').toLowerCase();
    if (!accept.includes('application/taxii+json;version=2.1'))
      return error(reply, 406, 'Not Acceptable', `This server speaks ${MEDIA_TYPE}.`);
  });

  app.get('/taxii2/', (_req, reply) =>
    send(reply, 200, {
      title: 'Quell test TAXII server',
      default: `${base}/api1/`,
      api_roots: [`${base}/api1/`],
    }),
  );
  app.get('/api1/', (_req, reply) =>
    send(reply, 200, { title: 'Test feeds', versions: [MEDIA_TYPE], max_content_length: 10 * 1024 * 1024 }),
  );
  const describe = (c: TaxiiTestCollection) => ({
    id: c.id,
    title: c.title,
    can_read: true,
    can_write: false,
    media_types: ['application/stix+json;version=2.1'],
  });
  app.get('/api1/collections/', (_req, reply) =>
    send(reply, 200, { collections: [...collections.values()].map(describe) }),
  );
  app.get('/api1/collections/:id/', (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const c = collections.get(req.params.id);
    return c ? send(reply, 200, describe(c)) : error(reply, 404, 'Not Found', 'No such collection.');
  });
  app.get(
    '/api1/collections/:id/objects/',
    (req: FastifyRequest<{ Params: { id: string }; Querystring: Record<string, string> }>, reply) => {
      const c = collections.get(req.params.id);
      if (!c) return error(reply, 404, 'Not Found', 'No such collection.');
      const q = req.query;
      objectRequests.push({ path: req.url.split('?')[0] ?? '', query: { ...q } });
      const types = q['match[type]']?.split(',');
      const after = q.added_after ? ms(q.added_after) : -Infinity;
      const matching = c.objects
        .filter((o) => ms(o.dateAdded) > after && (!types || types.includes(o.object.type)))
        .sort((a, b) => ms(a.dateAdded) - ms(b.dateAdded));
      const offset = c.paging === 'next' && q.next ? Number(q.next) : 0;
      const limit = Math.min(options.pageSize, q.limit ? Number(q.limit) : Infinity);
      const page = matching.slice(offset, offset + limit);
      const more = offset + page.length < matching.length;
      if (page.length) {
        reply.header('x-taxii-date-added-first', page[0]?.dateAdded);
        reply.header('x-taxii-date-added-last', page[page.length - 1]?.dateAdded);
      }
      return send(reply, 200, {
        more,
        ...(more && c.paging === 'next' ? { next: String(offset + page.length) } : {}),
        ...(page.length ? { objects: page.map((o) => o.object) } : {}),
      });
    },
  );

  // Servers that get things wrong, for the client's error messages.
  app.get('/quirks/html/', (_req, reply) => reply.type('text/html').send('<html>Sign in</html>'));
  app.get('/quirks/not-json/', (_req, reply) => reply.header('content-type', MEDIA_TYPE).send('{"title": '));
  app.get('/quirks/taxii20/', (_req, reply) =>
    reply.header('content-type', 'application/vnd.oasis.taxii+json; version=2.0').send('{}'),
  );
  app.get('/quirks/slow/', async () => {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    return {};
  });

  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  base = address;
  return {
    base,
    discoveryUrl: `${base}/taxii2/`,
    apiRootUrl: `${base}/api1/`,
    objectRequests,
    add(collectionId, objects) {
      collections.get(collectionId)?.objects.push(...objects);
    },
    close: () => app.close(),
  };
}
