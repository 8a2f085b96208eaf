import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { ROUTES, type OperationId, type RouteDef } from '@quell/contracts';
import { InputError } from '@quell/core';
import type { Services } from '../services/services.js';
import type { Authenticated } from '../services/access.service.js';
import { authorize } from './auth.hook.js';
import { errorHandler } from './errors.js';
import { createHandlers } from './handlers.js';
import type { Handler } from './handler-types.js';
import { createMetrics } from './metrics.js';
// deep analyses (issue 4)
import { registerRawBodyParser } from './analysis.handlers.js';

export interface AppDeps {
  services: Services;
  version: string;
  /** A pino logger; none (tests) logs nothing. */
  logger?: FastifyBaseLogger;
  secureCookies?: boolean;
  loginRateLimit?: number;
  /** The built console; served at / with a fallback to index.html for client-side routes. */
  webDir?: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: Authenticated | null;
  }
}

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    useDefaults: true,
    removeAdditional: false,
    discriminator: true,
    coerceTypes: coerce ? 'array' : false,
  });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv;
}

/** Builds the HTTP app without listening, so tests drive it with `app.inject()`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // Long ids reach the schema, which says what is wrong, instead of the router's bare 414.
    routerOptions: { maxParamLength: 2000 },
    // Errors raised before routing (bad percent-encoding, say) get the API's error shape too.
    frameworkErrors: (err, req, reply) => errorHandler(err as never, req, reply),
    bodyLimit: 20 * 1024 * 1024,
    trustProxy: false,
    ajv: { customOptions: {} },
  });
  // Bodies are checked strictly (a string is not a number); query strings and path parameters
  // arrive as text, so those are coerced.
  const bodyAjv = makeAjv(false);
  const textAjv = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : textAjv).compile(schema),
  );
  app.setErrorHandler(errorHandler);
  app.decorateRequest('auth', null);
  // deep analyses (issue 4): uploads arrive as application/octet-stream, streamed, not parsed.
  registerRawBodyParser(app);
  // PostgreSQL cannot store U+0000 in text, and no legitimate input needs it: refuse it up front,
  // for every route and both databases alike.
  app.addHook('preValidation', async (req) => {
    for (const [part, value] of [
      ['body', req.body],
      ['querystring', req.query],
      ['params', req.params],
    ] as const) {
      if (containsNul(value))
        throw new InputError(`Invalid ${part}: text must not contain NUL (\\u0000) characters.`, { part });
    }
  });

  await app.register(cookie);
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Quell API',
        version: deps.version,
        description:
          'Incidents, alerts, the action pipeline and the Action Center. Errors are {code, message, details}.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API token or CLI session token' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'quell_session' },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  const metrics = createMetrics(deps.services);
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observe(
      req.method,
      req.routeOptions.url ?? 'unknown',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    void reply.type(metrics.contentType);
    return metrics.render();
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());

  const handlers = createHandlers(deps.services, {
    secureCookies: deps.secureCookies ?? false,
    version: deps.version,
    dialect: deps.services.ctx.store.dialect,
    onIngested: (n) => metrics.alertsIngested.inc(n),
  });
  const access = deps.services.access;
  for (const [op, route] of Object.entries(ROUTES) as [OperationId, RouteDef][]) {
    const handler = handlers[op] as unknown as Handler<OperationId>;
    const isJson = !route.produces;
    app.route({
      method: route.method,
      url: route.url,
      schema: {
        operationId: op,
        summary: route.summary,
        tags: [route.tag],
        ...(route.params && { params: route.params }),
        ...(route.query && { querystring: route.query }),
        ...(route.body && { body: route.body }),
        ...(route.auth === 'public' && { security: [] }),
        response: isJson
          ? { [route.status ?? 200]: route.response }
          : {
              [route.status ?? 200]: {
                description: route.summary,
                content: { [route.produces ?? 'text/plain']: { schema: { type: 'string' } } },
              },
            },
      },
      ...(op === 'login' && {
        config: { rateLimit: { max: deps.loginRateLimit ?? 10, timeWindow: '1 minute' } },
      }),
      preValidation: async (req) => {
        req.auth = await authorize(req, route, access);
      },
      handler: async (req, reply) => {
        const out = await handler({
          auth: req.auth,
          req,
          reply,
          params: req.params,
          query: req.query,
          body: req.body,
        } as never);
        if (route.status) void reply.status(route.status);
        return out;
      },
    });
  }

  const webDir = deps.webDir ?? null;
  const haveConsole = webDir !== null && existsSync(join(webDir, 'index.html'));
  if (haveConsole)
    await app.register(fastifyStatic, { root: webDir, wildcard: false, index: ['index.html'] });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if (req.method === 'GET' && !path.startsWith('/api/') && path !== '/metrics') {
      if (haveConsole) return reply.type('text/html').sendFile('index.html');
      return reply
        .type('text/html')
        .send(
          '<!doctype html><title>Quell</title><p>The Quell console is not built. Run <code>npm run build</code>, then restart. The API is at <a href="/api/docs">/api/docs</a>.</p>',
        );
    }
    return reply.status(404).send({
      code: 'QUELL_E_NOT_FOUND',
      message: `No route ${req.method} ${path}. The API is described at /api/openapi.json.`,
      details: {},
    });
  });
  return app;
}

function containsNul(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (depth > 64 || v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some((x) => containsNul(x, depth + 1));
  return Object.entries(v as Record<string, unknown>).some(
    ([k, x]) => k.includes('\u0000') || containsNul(x, depth + 1),
  );
}
