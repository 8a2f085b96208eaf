import type { FastifyRequest } from 'fastify';
import type { RouteDef } from '@quell/contracts';
import { NotAllowedError, PERMISSION_MIN_ROLE, UnauthenticatedError, roleHas } from '@quell/core';
import type { AccessService, Authenticated } from '../services/access.service.js';
import { SESSION_COOKIE } from './handlers.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves the caller (bearer token or session cookie) and checks the route's permission. Cookie
 * sessions must echo their CSRF token on writes: a cross-site form can send the cookie but cannot
 * read the token.
 */
export async function authorize(
  req: FastifyRequest,
  route: RouteDef,
  access: AccessService,
): Promise<Authenticated | null> {
  const header = req.headers.authorization;
  let auth: Authenticated | null = null;
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m?.[1]) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>".');
    auth = await access.authenticate(m[1], 'bearer');
  } else {
    const cookie = req.cookies[SESSION_COOKIE];
    if (cookie) {
      try {
        auth = await access.authenticate(cookie, 'cookie');
      } catch (e) {
        if (route.auth !== 'public') throw e;
      }
    }
  }
  if (route.auth === 'public') return auth;
  if (!auth) {
    throw new UnauthenticatedError(
      'Log in first: use the console, `quell login`, or send "Authorization: Bearer <API token>".',
    );
  }
  if (auth.via === 'cookie' && !SAFE_METHODS.has(req.method)) {
    const sent = req.headers['x-csrf-token'];
    if (!sent || sent !== auth.csrfToken) {
      throw new NotAllowedError(
        'Missing or wrong x-csrf-token header for this session; reload the console and try again.',
      );
    }
  }
  if (route.auth !== 'authenticated' && !roleHas(auth.principal.role, route.auth)) {
    throw new NotAllowedError(
      `Your role (${auth.principal.role}) cannot do this; it needs ${PERMISSION_MIN_ROLE[route.auth]} or higher (${route.auth}).`,
      { permission: route.auth },
    );
  }
  return auth;
}
