import { registerContractKinds } from '@quell/contracts/agent';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ServerMessage } from '@quell/contracts/agent';

registerContractKinds();
const check = TypeCompiler.Compile(ServerMessage);

/** A server frame parsed and validated, or why it was rejected. */
export type ParsedServerMessage = { ok: true; message: ServerMessage } | { ok: false; error: string };

/**
 * Parses one text frame. Everything from the network is validated before the agent acts on
 * it, even on a pinned channel: a server bug must not become an agent crash running as root.
 */
export function parseServerMessage(data: string): ParsedServerMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(data) as unknown;
  } catch {
    return { ok: false, error: 'frame is not JSON' };
  }
  if (check.Check(raw)) return { ok: true, message: raw };
  const first = check.Errors(raw).First();
  const type = raw && typeof raw === 'object' ? String((raw as { type?: unknown }).type) : typeof raw;
  return {
    ok: false,
    error: `invalid ${type} message${first ? ` at ${first.path || '/'}: ${first.message}` : ''}`,
  };
}
