import { ENROLLMENT_TOKEN_PREFIX } from '@quell/contracts/agent';
import { TokenFormatError } from '../errors.js';

/** An enrollment token taken apart. */
export interface EnrollmentToken {
  /** The whole token, as sent to the server. */
  raw: string;
  /** SHA-256 (hex, lowercase) of the agent listener's certificate, to pin. */
  certSha256: string;
}

/**
 * Parses `qe1.<secret>.<certSha256 hex>`. The pin travels inside the token so the agent can
 * verify the server before it reveals the (single-use) secret to it.
 */
export function parseEnrollmentToken(token: string): EnrollmentToken {
  const raw = token.trim();
  const parts = raw.split('.');
  const [prefix, secret, pin] = parts;
  if (parts.length !== 3 || prefix !== ENROLLMENT_TOKEN_PREFIX || !secret || !pin) {
    throw new TokenFormatError(
      `the enrollment token is not in the form ${ENROLLMENT_TOKEN_PREFIX}.<secret>.<certificate sha256>; copy it again from the console (Settings → Enrollment)`,
    );
  }
  if (!/^[A-Za-z0-9_-]{8,}$/.test(secret)) {
    throw new TokenFormatError('the enrollment token secret is malformed; copy the token again');
  }
  if (!/^[A-Fa-f0-9]{64}$/.test(pin)) {
    throw new TokenFormatError(
      'the enrollment token does not end with a 64-digit hex certificate SHA-256; copy the token again',
    );
  }
  return { raw, certSha256: pin.toLowerCase() };
}
