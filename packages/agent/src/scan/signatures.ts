import type { Detection } from '@quell/contracts/agent';

/** A SHA-256 signature: an indicator pushed by the server or a built-in one. */
export interface HashSignature {
  sha256: string;
  name: string;
  severity: Detection['severity'];
}

/**
 * The EICAR anti-malware test string (68 bytes). Split in two so this source file is not itself
 * flagged by scanners that match the string anywhere in a file.
 */
export const EICAR_TEXT = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$' + 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
export const EICAR_NAME = 'EICAR-Test-File';
/** A test file, not malware: visible, but not something to page anyone about. */
export const EICAR_SEVERITY: Detection['severity'] = 'medium';

const EICAR = Buffer.from(EICAR_TEXT, 'latin1');
/** The EICAR definition allows trailing whitespace up to this total size. */
const EICAR_MAX_BYTES = 128;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0x1a]);

/**
 * True when `head` is a whole file that is the EICAR test file by its definition: the 68-byte
 * string at offset 0, then only whitespace (space, tab, CR, LF, ^Z), 128 bytes at most. A hash
 * alone would only recognise one of those variants.
 */
export function isEicar(head: Buffer, fileSize: number): boolean {
  if (fileSize < EICAR.length || fileSize > EICAR_MAX_BYTES || head.length !== fileSize) {
    return false;
  }
  if (!head.subarray(0, EICAR.length).equals(EICAR)) return false;
  for (let i = EICAR.length; i < head.length; i++) if (!WHITESPACE.has(head[i]!)) return false;
  return true;
}

/** Built-in SHA-256 signatures (besides the EICAR rule above). Empty by design for now:
 * indicators come from the server with each request. */
export const BUILTIN_HASH_SIGNATURES: readonly HashSignature[] = [];

/** Indexes signatures by lower-case SHA-256; later entries (the request's) win over built-ins. */
export function signatureIndex(
  ...lists: readonly (readonly HashSignature[])[]
): ReadonlyMap<string, HashSignature> {
  const map = new Map<string, HashSignature>();
  for (const list of lists) for (const s of list) map.set(s.sha256.toLowerCase(), s);
  return map;
}
