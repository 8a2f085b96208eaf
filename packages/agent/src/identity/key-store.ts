import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotEnrolledError, StateError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic-file.js';

/** File names under the state directory. */
export const IDENTITY_FILES = {
  agentKey: 'agent-key.pem',
  serverCommandKey: 'server-command-key.pem',
  serverCert: 'server-cert.pem',
} as const;

/** What proves the agent and verifies the server. */
export interface Identity {
  privateKey: KeyObject;
  /** The agent's public key, SPKI DER base64 (what the server stores). */
  publicKeyB64: string;
  /** The server's command-signing key. */
  serverPublicKey: KeyObject;
}

/** A fresh Ed25519 key pair for enrollment. */
export function generateAgentKey(): { privateKey: KeyObject; publicKeyB64: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKeyB64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') };
}

/** Parses an Ed25519 public key given as SPKI DER base64 (the protocol's format). */
export function publicKeyFromB64(b64: string): KeyObject {
  return createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' });
}

/**
 * Stores what enrollment produced. The private key is 0600 (root only): whoever holds it can
 * speak for this device.
 */
export async function saveIdentity(
  stateDir: string,
  id: { privateKey: KeyObject; serverPublicKeyB64: string; serverCertPem: string },
): Promise<void> {
  const pem = id.privateKey.export({ type: 'pkcs8', format: 'pem' });
  await writeFileAtomic(join(stateDir, IDENTITY_FILES.agentKey), pem, { mode: 0o600 });
  const serverKey = publicKeyFromB64(id.serverPublicKeyB64).export({ type: 'spki', format: 'pem' });
  await writeFileAtomic(join(stateDir, IDENTITY_FILES.serverCommandKey), serverKey, { mode: 0o644 });
  await writeFileAtomic(join(stateDir, IDENTITY_FILES.serverCert), id.serverCertPem, { mode: 0o644 });
}

/** Loads the identity saved by enroll; {@link NotEnrolledError} when there is none. */
export async function loadIdentity(stateDir: string): Promise<Identity> {
  const read = async (name: string): Promise<string> => {
    try {
      return await readFile(join(stateDir, name), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NotEnrolledError(`no ${name} in ${stateDir}: run \`quell-agent enroll\` first`);
      }
      throw new StateError(`cannot read ${join(stateDir, name)}: ${(e as Error).message}`, { cause: e });
    }
  };
  try {
    const privateKey = createPrivateKey(await read(IDENTITY_FILES.agentKey));
    const serverPublicKey = createPublicKey(await read(IDENTITY_FILES.serverCommandKey));
    const publicKeyB64 = createPublicKey(privateKey)
      .export({ type: 'spki', format: 'der' })
      .toString('base64');
    return { privateKey, publicKeyB64, serverPublicKey };
  } catch (e) {
    if (e instanceof NotEnrolledError || e instanceof StateError) throw e;
    throw new StateError(`the keys in ${stateDir} are unreadable; re-enroll the agent`, { cause: e });
  }
}

/** Ed25519 signature, base64. */
export function signText(privateKey: KeyObject, text: string): string {
  return sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64');
}

/** Whether `signatureB64` is a valid Ed25519 signature of `text` by `publicKey`. */
export function verifyText(publicKey: KeyObject, text: string, signatureB64: string): boolean {
  try {
    return verify(null, Buffer.from(text, 'utf8'), publicKey, Buffer.from(signatureB64, 'base64'));
  } catch {
    // A malformed signature is simply not valid; the caller refuses the command.
    return false;
  }
}
