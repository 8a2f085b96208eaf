import { sign, type KeyObject } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import { commandSigningText, type Command, type CommandMessage } from '@quell/contracts';

/**
 * Canonical JSON of a command: keys sorted at every level, no whitespace. Agents rebuild the
 * same text from the command they received to verify the signature, so both sides must agree.
 */
export function canonicalCommandJson(command: Command): string {
  return stringify(command);
}

/** Wraps a command with the server's Ed25519 signature over {@link commandSigningText}. */
export function signCommand(command: Command, key: KeyObject): CommandMessage {
  const text = commandSigningText(canonicalCommandJson(command));
  return {
    type: 'command',
    command,
    signature: sign(null, Buffer.from(text, 'utf8'), key).toString('base64'),
  };
}
