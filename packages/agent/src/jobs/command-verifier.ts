import type { KeyObject } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import { commandSigningText, type CommandMessage } from '@quell/contracts/agent';
import { verifyText } from '../identity/key-store.js';

/** Why a command is refused; sent back in `ack.reason`. */
export type Verdict = { ok: true } | { ok: false; reason: string };

export interface CommandVerifierOptions {
  serverPublicKey: KeyObject;
  deviceId: string;
  now?: () => number;
}

/**
 * Checks a command before anything else looks at it: the server's Ed25519 signature over
 * {@link commandSigningText} of the command's canonical JSON (sorted keys), that it is for this
 * device, and that it has not expired. A refused command is never run.
 */
export class CommandVerifier {
  private readonly now: () => number;
  constructor(private readonly opts: CommandVerifierOptions) {
    this.now = opts.now ?? Date.now;
  }

  verify(msg: CommandMessage): Verdict {
    const c = msg.command;
    if (!verifyText(this.opts.serverPublicKey, commandSigningText(stringify(c)), msg.signature)) {
      return {
        ok: false,
        reason: 'bad signature: the command was not signed by the server this agent enrolled with',
      };
    }
    if (c.deviceId !== this.opts.deviceId) {
      return {
        ok: false,
        reason: `the command is for device ${c.deviceId}, not this one (${this.opts.deviceId})`,
      };
    }
    const now = this.now();
    if (now > c.expiresAt) {
      return {
        ok: false,
        reason: `the command expired at ${new Date(c.expiresAt).toISOString()} (agent time ${new Date(now).toISOString()})`,
      };
    }
    return { ok: true };
  }
}
