import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { AgentMessage, EnrollRequest, registerContractKinds, type ServerMessage } from '@quell/contracts';

registerContractKinds();

const checkAgentMessage: TypeCheck<typeof AgentMessage> = TypeCompiler.Compile(AgentMessage);
const checkEnrollRequest: TypeCheck<typeof EnrollRequest> = TypeCompiler.Compile(EnrollRequest);

/** A message an agent sent that is not one the protocol knows; the text says what was wrong. */
export class AgentProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentProtocolError';
  }
}

function firstProblem<T extends TSchema>(check: TypeCheck<T>, value: unknown): string {
  const e = check.Errors(value).First();
  return e ? `${e.path || '/'}: ${e.message}` : 'does not match the schema';
}

/** Parses one text frame into an agent message; throws {@link AgentProtocolError}. */
export function parseAgentMessage(text: string): AgentMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AgentProtocolError('frame is not JSON');
  }
  if (checkAgentMessage.Check(value)) return value;
  const type =
    typeof value === 'object' && value !== null && 'type' in value ? String(value.type) : '(no type)';
  throw new AgentProtocolError(`bad ${type} message: ${firstProblem(checkAgentMessage, value)}`);
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
