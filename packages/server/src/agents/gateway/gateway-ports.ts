import type { KeyObject } from 'node:crypto';
import type { EnrollRequest, EnrollResponse } from '@quell/contracts';

/**
 * The keys the agent listener needs (the keys loader under `agents/keys` provides them): the TLS
 * pair agents pin, and the Ed25519 key commands are signed with.
 */
export interface GatewayKeys {
  tlsKeyPem: string;
  tlsCertPem: string;
  /** SHA-256 of the certificate (DER), hex: what enrollment tokens pin. */
  certSha256: string;
  signingPrivateKey: KeyObject;
  /** SPKI DER, base64: what agents verify commands with. */
  signingPublicKeySpkiB64: string;
}

/** Enrollment as the listener calls it: one request, answered or refused with a QuellError. */
export interface Enroller {
  enroll(req: EnrollRequest, now: number): Promise<EnrollResponse>;
}

/** Where an upload's bytes go while they arrive; nothing is visible until `commit`. */
export interface UploadWriter {
  write(chunk: Buffer): Promise<void>;
  /** Verifies size and hash and makes the blob available; throws when they do not match. */
  commit(expect: { sha256: string; size: number; contentType: string }): Promise<void>;
  /** Drops what was written (a failed or refused upload). */
  abort(): Promise<void>;
}

/** The blob store as uploads use it (content-addressed by SHA-256). */
export interface UploadSink {
  begin(): Promise<UploadWriter>;
}
