import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { ValueError } from '@sinclair/typebox/errors';
import { AgentMessage, EnrollRequest, registerContractKinds, type ServerMessage } from '@quell/contracts';

registerContractKinds();

const checkAgentMessage: TypeCheck<typeof AgentMessage> = TypeCompiler.Compile(AgentMessage);
/**
 * One check per message type, picked by the frame's `type`: checking a result against every
 * member of the union was a noticeable share of the server's time in a fan-out, and the error
 * then names the problem in that message rather than "matches no member".
 */
const checkByType = new Map<string, TypeCheck<TSchema>>(
  AgentMessage.anyOf.flatMap((member: TSchema) => {
    const type = (member.properties as Record<string, { const?: unknown }> | undefined)?.type?.const;
    return typeof type === 'string' ? [[type, TypeCompiler.Compile(member)] as const] : [];
  }),
);
const checkEnrollRequest: TypeCheck<typeof EnrollRequest> = TypeCompiler.Compile(EnrollRequest);

/** A message an agent sent that is not one the protocol knows; the text says what was wrong. */
export class AgentProtocolError extends Error {
  constructor(
    message: string,
    /** The frame's JSON value, when it parsed (so the gateway can answer what it names). */
    readonly raw?: unknown,
  ) {
    super(message);
    this.name = 'AgentProtocolError';
  }
}

/**
 * The most telling problem: for a union (the message types, the event kinds) TypeBox reports
 * only "Expected union value"; the variant whose discriminant (`type`, `kind`) matches says what
 * is wrong. Without one that matches, the union error itself is the answer.
 */
function deepest(e: ValueError): ValueError {
  for (const variant of e.errors) {
    const errs = [...take(variant, 50)];
    const first = errs[0];
    if (!first || errs.some((x) => /\/(type|kind)$/.test(x.path))) continue;
    return deepest(first);
  }
  return e;
}

function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  for (const x of it) {
    yield x;
    if (--n <= 0) return;
  }
}

function firstProblem<T extends TSchema>(check: TypeCheck<T>, value: unknown): string {
  const first = check.Errors(value).First();
  if (!first) return 'does not match the schema';
  const e = deepest(first);
  return `${e.path || '/'}: ${e.message}`;
}

/** Parses one text frame into an agent message; throws {@link AgentProtocolError}. */
export function parseAgentMessage(text: string): AgentMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AgentProtocolError('frame is not JSON');
  }
  const type =
    typeof value === 'object' && value !== null && 'type' in value ? String(value.type) : '(no type)';
  const check = checkByType.get(type);
  if (check) {
    if (check.Check(value)) return value as AgentMessage;
    throw new AgentProtocolError(`bad ${type} message: ${firstProblem(check, value)}`, value);
  }
  if (checkAgentMessage.Check(value)) return value;
  throw new AgentProtocolError(`bad ${type} message: ${firstProblem(checkAgentMessage, value)}`, value);
}

/** Checks an enrollment body; throws {@link AgentProtocolError} naming the first problem. */
export function parseEnrollRequest(value: unknown): EnrollRequest {
  if (checkEnrollRequest.Check(value)) return value;
  throw new AgentProtocolError(`invalid enrollment request: ${firstProblem(checkEnrollRequest, value)}`);
}

/** One frame's text; kept in one place so every message leaves the same way. */
export function encodeServerMessage(msg: ServerMessage): string {
  return JSON.stringify(msg);
}
