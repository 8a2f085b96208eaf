import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_HTTP_STATUS, QuellError } from '@quell/core';
import type { ErrorObject } from 'ajv';

interface ValidationLike {
  validation?: ErrorObject[];
  validationContext?: string;
}

/** One Ajv error as a sentence a user can act on, e.g. `body.alerts.0.title must NOT be empty`. */
export function describeValidationError(context: string, e: ErrorObject): string {
  const path = context + (e.instancePath ? e.instancePath.replace(/\//g, '.') : '');
  switch (e.keyword) {
    case 'additionalProperties':
      return `${path} has an unknown field "${String(e.params.additionalProperty)}"`;
    case 'required':
      return `${path} is missing "${String(e.params.missingProperty)}"`;
    case 'enum':
      return `${path} must be one of: ${(e.params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `${path} must be ${JSON.stringify(e.params.allowedValue)}`;
    case 'discriminator':
      return `${path}.kind must be one of the entity kinds (device, file, process, user, mailbox, ip, url, domain)`;
    default:
      return `${path} ${e.message ?? 'is invalid'}`;
  }
}

/** Errors from if/then/else and oneOf wrappers repeat what the specific errors already say. */
const NOISE = new Set(['if', 'oneOf', 'anyOf']);

export function validationMessage(
  context: string,
  errors: readonly ErrorObject[],
): { message: string; problems: string[] } {
  const specific = errors.filter((e) => !NOISE.has(e.keyword));
  const problems = [
    ...new Set((specific.length ? specific : errors).map((e) => describeValidationError(context, e))),
  ];
  const shown = problems.slice(0, 5);
  const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : '';
  return { message: `Invalid ${context}: ${shown.join('; ')}${more}.`, problems };
}

/**
 * The one error handler: QuellErrors keep their code and status, schema failures become
 * QUELL_E_INPUT with every problem named, other 4xx keep their status, and anything unknown is
 * logged and becomes a 500 that reveals nothing internal.
 */
export function errorHandler(
  error: FastifyError & ValidationLike,
  req: FastifyRequest,
  reply: FastifyReply,
): void {
  if (error instanceof QuellError) {
    void reply
      .status(ERROR_HTTP_STATUS[error.code])
      .send({ code: error.code, message: error.message, details: error.details });
    return;
  }
  if (error.validation) {
    const context = error.validationContext ?? 'request';
    const { message, problems } = validationMessage(context, error.validation);
    void reply.status(400).send({ code: 'QUELL_E_INPUT', message, details: { problems } });
    return;
  }
  const status = error.statusCode ?? 500;
  if (status === 429) {
    void reply.status(429).send({
      code: 'QUELL_E_RATE_LIMITED',
      message: 'Too many attempts; wait a minute and try again.',
      details: {},
    });
    return;
  }
  if (status >= 400 && status < 500) {
    const message =
      error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
        ? 'The body is not valid JSON.'
        : error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'The body is empty; send a JSON object (at least {}).'
          : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'Send the body as application/json.'
            : error.message;
    void reply
      .status(status)
      .send({ code: 'QUELL_E_INPUT', message, details: { reason: error.code ?? null } });
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  void reply.status(500).send({
    code: 'QUELL_E_INTERNAL',
    message:
      'Something went wrong on the server; it has been logged. Try again, and report it if it persists.',
    details: { requestId: req.id },
  });
}
