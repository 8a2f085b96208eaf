import { createHash } from 'node:crypto';

/**
 * Namespace of Quell's name-based STIX ids. Fixed forever: changing it would give every
 * exported indicator a new identity in the systems that imported it.
 */
const QUELL_NAMESPACE = 'ee91e19e-233d-400a-a4f7-b366bb8b1d91';

/** RFC 4122 version 5 UUID (SHA-1, name-based): the same name always yields the same id. */
export function uuidV5(name: string, namespace: string = QUELL_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
