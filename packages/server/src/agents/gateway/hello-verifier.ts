import { createPublicKey, verify } from 'node:crypto';
import { helloSigningText, type HelloMessage } from '@quell/contracts';

/** The agent would not run a command (bad signature, expired, unsupported here). Final. */
export class AgentRefusedError extends Error {
  constructor(reason: string) {
    super(`the agent refused the command: ${reason}`);
    this.name = 'AgentRefusedError';
  }
}

/** Whether the hello proves possession of the enrolled key for this connection's nonce. */
export function verifyHello(publicKeyB64: string, msg: HelloMessage, nonce: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(publicKeyB64, 'base64'), format: 'der', type: 'spki' });
    return verify(
      null,
      Buffer.from(helloSigningText(msg.deviceId, nonce), 'utf8'),
      key,
      Buffer.from(msg.signature, 'base64'),
    );
  } catch {
    // A malformed key or signature is a failed proof, not a server error.
    return false;
  }
}
