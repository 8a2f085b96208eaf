import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DeviceEvent, registerContractKinds } from '@quell/contracts/agent';
import type { AgentEvent } from './agent-events.js';

registerContractKinds();
const check = TypeCompiler.Compile(DeviceEvent);

/**
 * Null when the event matches the protocol, else the first problem. The server refuses a whole
 * batch over one bad event, so the reporter checks each one as it is emitted.
 */
export function eventProblem(e: AgentEvent): string | null {
  if (check.Check(e)) return null;
  const first = check.Errors(e).First();
  return first ? `${first.path || '/'}: ${first.message}` : 'does not match the protocol';
}
