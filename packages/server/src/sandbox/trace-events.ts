/**
 * What the strace parser makes of a trace: one event per syscall or process change that the
 * rules and observables care about. Paths are absolute paths inside the sandbox.
 */

/** An IPv4/IPv6 peer as strace decoded it from a sockaddr. */
export interface InetEndpoint {
  family: 'ipv4' | 'ipv6';
  address: string;
  port: number;
}

interface EventBase {
  /** The process (thread group) as the tracer sees it. */
  pid: number;
  /** Seconds since the epoch, with microseconds (`-ttt`), when the call started. */
  ts: number;
  /** True when the call returned without error; null when it never returned (killed, cut off). */
  ok: boolean | null;
  /** `ENOENT` and the like when the call failed. */
  errno: string | null;
  /** The call as strace printed it, shortened; used as evidence. */
  raw: string;
}

export type TraceEvent = EventBase &
  (
    | { type: 'exec'; path: string; argv: string[] }
    | {
        type: 'spawn';
        /** The child as the tracer sees it; null when the call failed. */
        child: number | null;
        /** The child as the sandbox sees it (the value the call returned). */
        sandboxPid: number | null;
        thread: boolean;
      }
    | { type: 'exit'; code: number }
    | { type: 'killed'; signal: string }
    | { type: 'signal'; signal: string }
    | {
        type: 'open';
        /** The path as asked for, made absolute. */
        path: string;
        /** The file actually opened, symlinks resolved (`-yy`), when the open succeeded. */
        realPath: string | null;
        write: boolean;
        create: boolean;
        flags: string[];
      }
    | { type: 'unlink'; path: string; directory: boolean }
    | { type: 'rename'; from: string; to: string }
    | { type: 'mkdir'; path: string }
    | { type: 'link'; path: string; target: string; symbolic: boolean }
    | { type: 'chmod'; path: string; mode: number | null }
    | { type: 'chdir'; path: string }
    | { type: 'socket'; domain: string; socketType: string; protocol: string; inode: string | null }
    | {
        type: 'connect';
        endpoint: InetEndpoint | null;
        /** AF_UNIX path, when the peer is a local socket. */
        unixPath: string | null;
        /** From the descriptor annotation (`TCP:[…]`) or the socket() call. */
        transport: string | null;
        inode: string | null;
      }
    | {
        type: 'send';
        /** The explicit destination, or null for a connected socket (see `inode`). */
        endpoint: InetEndpoint | null;
        transport: string | null;
        inode: string | null;
        /** The buffers sent, as far as `-s` shows them. */
        payloads: Uint8Array[];
      }
    | { type: 'setid'; call: string; ids: (number | null)[] }
    | { type: 'ptrace'; request: string; target: number | null }
    | { type: 'sleep'; call: string; ms: number }
    | { type: 'alloc_failed'; call: string }
  );

export type TraceEventType = TraceEvent['type'];
export type EventOf<T extends TraceEventType> = Extract<TraceEvent, { type: T }>;
