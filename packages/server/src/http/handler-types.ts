import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallInput, CallOutput, OperationId } from '@quell/contracts';
import type { Authenticated } from '../services/access.service.js';

/** What a route handler receives: the authenticated caller and its validated input. */
export type HandlerContext<Op extends OperationId> = CallInput<Op> & {
  auth: Authenticated | null;
  req: FastifyRequest;
  reply: FastifyReply;
};

export type Handler<Op extends OperationId> = (c: HandlerContext<Op>) => Promise<CallOutput<Op>>;
export type Handlers = { [Op in OperationId]: Handler<Op> };

/** The caller, for routes that need one (every route but the public ones). */
export function who(c: { auth: Authenticated | null }): Authenticated {
  if (!c.auth) throw new Error('route declared public but needs a caller');
  return c.auth;
}
