import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { ENROLLMENT_TOKEN_PREFIX } from '@quell/contracts';
import { InputError, NotAllowedError } from '@quell/core';
import type { EnrollmentTokenRow } from '@quell/store';

/** The parts of an enrollment token string `qe1.<secret>.<certificate sha256>`. */
export interface ParsedEnrollmentToken {
  secret: string;
  certSha256: string;
}

/** Why an enrollment was refused; in the error's `details.reason`. */
export const ENROLL_REFUSALS = [
  'token_unknown',
  'token_used',
  'token_expired',
  'token_revoked',
  'certificate_mismatch',
] as const;
export type EnrollRefusal = (typeof ENROLL_REFUSALS)[number];

const REFUSAL_MESSAGES: Record<EnrollRefusal, string> = {
  token_unknown:
    'This enrollment token is not one this server issued. Create one with `quell tokens enroll create`.',
  token_used: 'This enrollment token was already used; each token enrolls one device. Create a new one.',
  token_expired: 'This enrollment token has expired. Create a new one.',
  token_revoked: 'This enrollment token was revoked. Create a new one.',
  certificate_mismatch:
    "This enrollment token pins a different agent listener certificate than the server's current one; create a new token.",
};

/** The typed error an enrollment refusal raises (403, `QUELL_E_NOT_ALLOWED`, `details.reason`). */
export function enrollRefused(reason: EnrollRefusal, details: Record<string, unknown> = {}): NotAllowedError {
  return new NotAllowedError(REFUSAL_MESSAGES[reason], { reason, ...details });
}

/** A new token: 32 random bytes of secret (base64url) and the certificate the agent must pin. */
export function newEnrollmentToken(
  certSha256: string,
  random: (n: number) => Buffer = randomBytes,
): {
  token: string;
  secretHash: string;
} {
  const secret = random(32).toString('base64url');
  return { token: `${ENROLLMENT_TOKEN_PREFIX}.${secret}.${certSha256}`, secretHash: hashSecret(secret) };
}

/** What is stored for a token: SHA-256 hex of its secret part. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Splits a token string; an InputError says what is wrong with a malformed one. */
export function parseEnrollmentToken(token: string): ParsedEnrollmentToken {
  const parts = token.split('.');
  const [prefix, secret, certSha256] = parts;
  if (
    parts.length !== 3 ||
    prefix !== ENROLLMENT_TOKEN_PREFIX ||
    !secret ||
    !/^[A-Za-z0-9_-]{20,100}$/.test(secret) ||
    !certSha256 ||
    !/^[a-f0-9]{64}$/.test(certSha256)
  ) {
    throw new InputError(
      `An enrollment token looks like ${ENROLLMENT_TOKEN_PREFIX}.<secret>.<64 hex digits>; copy it whole from \`quell devices token create\`.`,
      { field: 'token' },
    );
  }
  return { secret, certSha256 };
}

/** Why a stored token cannot enroll a device at `now`, or null when it can. */
export function tokenRefusal(row: EnrollmentTokenRow | undefined, now: number): EnrollRefusal | null {
  if (!row) return 'token_unknown';
  if (row.used_at !== null) return 'token_used';
  if (row.revoked_at !== null) return 'token_revoked';
  if (row.expires_at <= now) return 'token_expired';
  return null;
}

/**
 * An agent's public key from its enrollment or hello: Ed25519, SPKI DER, base64. Returns the key
 * and its canonical base64 (what is stored), or throws an InputError.
 */
export function parseAgentPublicKey(b64: string): { key: KeyObject; spkiB64: string } {
  const der = Buffer.from(b64, 'base64');
  let key: KeyObject;
  try {
    if (der.toString('base64') !== b64.replace(/\s+/g, '')) throw new Error('not canonical base64');
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (e) {
    throw new InputError(
      'publicKey must be an Ed25519 public key, SPKI DER, base64.',
      { field: 'publicKey' },
      { cause: e },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new InputError(`publicKey is a ${key.asymmetricKeyType ?? 'unknown'} key; agents use Ed25519.`, {
      field: 'publicKey',
    });
  }
  return { key, spkiB64: key.export({ type: 'spki', format: 'der' }).toString('base64') };
}
