// Sockets as strace -yy prints them: descriptor annotations, sockaddr structs, msghdr buffers.
import type { InetEndpoint } from './trace-events.js';
import { allStrings, structField } from './strace-values.js';

/** `TCP:[26374]` or `UDP:[10.0.0.2:5353->10.0.0.1:53]` → transport and inode (or the endpoints). */
export function socketNote(note: string | null): { transport: string; inode: string } | null {
  const m = /^([A-Z][A-Za-z0-9-]*):\[(.*)\]$/.exec(note ?? '');
  if (!m) return null;
  return { transport: m[1] as string, inode: m[2] as string };
}

/** An inet sockaddr struct token → endpoint; null for other families and non-structs. */
export function sockaddr(token: string | null | undefined): InetEndpoint | null {
  if (!token?.startsWith('{')) return null;
  const family = structField(token, 'sa_family');
  if (family === 'AF_INET') {
    const port = /htons\((\d+)\)/.exec(structField(token, 'sin_port') ?? '');
    const addr = /inet_addr\("([^"]+)"\)/.exec(structField(token, 'sin_addr') ?? '');
    return port && addr ? { family: 'ipv4', address: addr[1] as string, port: Number(port[1]) } : null;
  }
  if (family === 'AF_INET6') {
    const port = /htons\((\d+)\)/.exec(structField(token, 'sin6_port') ?? '');
    const addr = /inet_pton\(AF_INET6,\s*"([^"]+)"/.exec(token);
    return port && addr ? { family: 'ipv6', address: addr[1] as string, port: Number(port[1]) } : null;
  }
  return null;
}

/** The buffers of a msghdr struct token (`msg_iov=[{iov_base="…", iov_len=34}]`). */
export function msgBuffers(msghdr: string | undefined): Uint8Array[] {
  const iov = structField(msghdr, 'msg_iov');
  return iov ? allStrings(iov).map((s) => s.bytes) : [];
}
