import { posix } from 'node:path';
import {
  arrayItems,
  cString,
  cText,
  fdToken,
  flagList,
  intToken,
  parseResult,
  splitCall,
  structField,
  type CallResult,
} from './strace-values.js';
import { StraceLineReader, type StraceRecord } from './strace-line.js';
import { msgBuffers, sockaddr, socketNote } from './strace-sockaddr.js';
import type { TracedSyscall } from './traced-syscalls.js';
import type { InetEndpoint, TraceEvent } from './trace-events.js';

/** Evidence keeps the start of a call; payload dumps past this help nobody. */
const RAW_MAX = 400;

/** A call split into its pieces, with the process it belongs to already resolved. */
interface Call {
  pid: number;
  ts: number;
  name: string;
  args: string[];
  result: CallResult | null;
  raw: string;
}

type EventBody = TraceEvent extends infer E
  ? E extends unknown
    ? Omit<E, 'pid' | 'ts' | 'ok' | 'errno' | 'raw'>
    : never
  : never;

/**
 * Turns `strace -f -ttt -yy -x --pidns-translation` output into events. Keeps what it needs to
 * make paths absolute (each process's working directory, descriptor annotations) and to attach
 * threads to their process. Unknown syscalls and unreadable lines are skipped, never fatal.
 */
export class StraceParser {
  private readonly lines = new StraceLineReader();
  private readonly events: TraceEvent[] = [];
  /** Thread id → the process (thread group) it belongs to. */
  private readonly tgid = new Map<number, number>();
  private readonly cwd = new Map<number, string>();
  /** Socket inode → transport (`TCP`, `UDPv6`…) from socket() results. */
  private readonly sockets = new Map<string, string>();
  private readonly handlers: Record<TracedSyscall, (c: Call) => EventBody | null> = {
    execve: (c) => this.exec(c, null, c.args[0], c.args[1]),
    execveat: (c) => this.exec(c, c.args[0], c.args[1], c.args[2]),
    clone: (c) => this.spawn(c, c.args.find((a) => a.startsWith('flags=')) ?? ''),
    clone3: (c) => this.spawn(c, structField(c.args[0], 'flags') ?? ''),
    fork: (c) => this.spawn(c, ''),
    vfork: (c) => this.spawn(c, ''),
    open: (c) => this.open(c, null, c.args[0], flagList(c.args[1])),
    openat: (c) => this.open(c, c.args[0], c.args[1], flagList(c.args[2])),
    openat2: (c) => this.open(c, c.args[0], c.args[1], flagList(structField(c.args[2], 'flags') ?? '')),
    creat: (c) => this.open(c, null, c.args[0], ['O_WRONLY', 'O_CREAT', 'O_TRUNC']),
    unlink: (c) => this.unlink(c, null, c.args[0], false),
    unlinkat: (c) => this.unlink(c, c.args[0], c.args[1], flagList(c.args[2]).includes('AT_REMOVEDIR')),
    rmdir: (c) => this.unlink(c, null, c.args[0], true),
    rename: (c) => this.rename(c, null, c.args[0], null, c.args[1]),
    renameat: (c) => this.rename(c, c.args[0], c.args[1], c.args[2], c.args[3]),
    renameat2: (c) => this.rename(c, c.args[0], c.args[1], c.args[2], c.args[3]),
    mkdir: (c) => this.pathEvent(c, null, c.args[0], (path) => ({ type: 'mkdir', path })),
    mkdirat: (c) => this.pathEvent(c, c.args[0], c.args[1], (path) => ({ type: 'mkdir', path })),
    symlink: (c) => this.link(c, c.args[0], null, c.args[1], true),
    symlinkat: (c) => this.link(c, c.args[0], c.args[1], c.args[2], true),
    link: (c) => this.link(c, c.args[0], null, c.args[1], false),
    linkat: (c) => this.link(c, c.args[1], c.args[2], c.args[3], false),
    chmod: (c) => this.chmod(c, null, c.args[0], c.args[1]),
    fchmodat: (c) => this.chmod(c, c.args[0], c.args[1], c.args[2]),
    fchmod: (c) => {
      const path = fdToken(c.args[0])?.note;
      return path?.startsWith('/')
        ? { type: 'chmod', path: stripDeleted(path), mode: intToken(c.args[1]) }
        : null;
    },
    chdir: (c) => this.chdir(c, this.path(c, null, c.args[0])),
    fchdir: (c) => this.chdir(c, fdToken(c.args[0])?.note ?? null),
    socket: (c) => this.socket(c),
    connect: (c) => this.connect(c),
    sendto: (c) => this.send(c, sockaddr(c.args[4]), [cString(c.args[1])?.bytes]),
    sendmsg: (c) => this.send(c, sockaddr(structField(c.args[1], 'msg_name')), msgBuffers(c.args[1])),
    sendmmsg: (c) => this.sendmmsg(c),
    setuid: (c) => this.setid(c),
    setgid: (c) => this.setid(c),
    setreuid: (c) => this.setid(c),
    setregid: (c) => this.setid(c),
    setresuid: (c) => this.setid(c),
    setresgid: (c) => this.setid(c),
    setfsuid: (c) => this.setid(c),
    setfsgid: (c) => this.setid(c),
    ptrace: (c) => ({
      type: 'ptrace',
      request: c.args[0] ?? '',
      target: intToken(/^-?\d+/.exec(c.args[1] ?? '')?.[0]),
    }),
    nanosleep: (c) => sleep(c, c.args[0]),
    clock_nanosleep: (c) => (flagList(c.args[1]).includes('TIMER_ABSTIME') ? null : sleep(c, c.args[2])),
    mmap: (c) => (c.result?.errno === 'ENOMEM' ? { type: 'alloc_failed', call: 'mmap' } : null),
  };

  /** Records read so far that could not be understood; shown in the report's trace summary. */
  get skipped(): number {
    return this.lines.skipped;
  }

  push(line: string): void {
    for (const r of this.lines.push(line)) this.record(r);
  }

  /** Ends the trace and returns every event in trace order. */
  finish(): TraceEvent[] {
    for (const r of this.lines.end()) this.record(r);
    return this.events;
  }

  private process(tid: number): number {
    return this.tgid.get(tid) ?? tid;
  }

  private record(r: StraceRecord): void {
    const pid = this.process(r.pid);
    const base = { pid, ts: r.ts, errno: null };
    if (r.kind === 'exited') {
      // Every thread of a process reports its exit; the process exits with its leader.
      if (pid === r.pid)
        this.events.push({ ...base, ok: true, raw: `exited with ${r.code}`, type: 'exit', code: r.code });
      return;
    }
    if (r.kind === 'killed') {
      if (pid === r.pid)
        this.events.push({
          ...base,
          ok: true,
          raw: `killed by ${r.signal}`,
          type: 'killed',
          signal: r.signal,
        });
      return;
    }
    if (r.kind === 'signal') {
      this.events.push({ ...base, ok: true, raw: `received ${r.signal}`, type: 'signal', signal: r.signal });
      return;
    }
    const split = splitCall(r.text);
    if (!split || !(split.name in this.handlers)) return;
    const result = split.result === null ? null : parseResult(split.result);
    const call: Call = { pid, ts: r.ts, name: split.name, args: split.args, result, raw: shorten(r.text) };
    for (const a of call.args) this.noteCwd(pid, a);
    const body = this.handlers[split.name as TracedSyscall](call);
    if (!body) return;
    const ok = result === null || result.value === null ? null : result.errno === null && result.value !== -1;
    this.events.push({
      pid,
      ts: r.ts,
      ok,
      errno: result?.errno ?? null,
      raw: call.raw,
      ...body,
    } as TraceEvent);
  }

  /** `AT_FDCWD</root>` tells the working directory of the process at that call. */
  private noteCwd(pid: number, arg: string): void {
    if (!arg.startsWith('AT_FDCWD<')) return;
    const note = fdToken(arg)?.note;
    if (note?.startsWith('/')) this.cwd.set(pid, note);
  }

  /** An absolute path from a path argument, relative to `dirfd` (or the working directory). */
  private path(c: Call, dirfd: string | null | undefined, token: string | undefined): string | null {
    const p = cText(token);
    if (p === null) return null;
    if (p.startsWith('/')) return posix.normalize(p);
    const dirNote = dirfd ? fdToken(dirfd)?.note : null;
    const base = dirNote?.startsWith('/') ? stripDeleted(dirNote) : (this.cwd.get(c.pid) ?? '/');
    return posix.resolve(base, p);
  }

  private pathEvent(
    c: Call,
    dirfd: string | null | undefined,
    token: string | undefined,
    make: (path: string) => EventBody,
  ): EventBody | null {
    const path = this.path(c, dirfd, token);
    return path === null ? null : make(path);
  }

  private exec(
    c: Call,
    dirfd: string | null | undefined,
    pathTok: string | undefined,
    argvTok: string | undefined,
  ) {
    let path = this.path(c, dirfd, pathTok);
    // execveat(fd, "", …, AT_EMPTY_PATH) runs the descriptor itself (fexecve, memfd loaders).
    if (path === null || cText(pathTok) === '') path = stripDeleted(fdToken(dirfd ?? '')?.note ?? '') || null;
    if (path === null) return null;
    const argv = (arrayItems(argvTok) ?? []).map((a) => cText(a)).filter((a): a is string => a !== null);
    return { type: 'exec' as const, path, argv };
  }

  private spawn(c: Call, flags: string): EventBody {
    const thread = flagList(flags.replace(/^flags=/, '')).includes('CLONE_THREAD');
    const value = c.result?.value ?? null;
    const created = value !== null && value > 0;
    const child = created ? (c.result?.tracerPid ?? value) : null;
    if (child !== null) {
      if (thread) this.tgid.set(child, c.pid);
      else if (!this.cwd.has(child)) {
        const cwd = this.cwd.get(c.pid);
        if (cwd) this.cwd.set(child, cwd);
      }
    }
    return { type: 'spawn', child, sandboxPid: created ? value : null, thread };
  }

  private open(c: Call, dirfd: string | null | undefined, token: string | undefined, flags: string[]) {
    const path = this.path(c, dirfd, token);
    if (path === null) return null;
    const write = flags.some((f) => WRITE_FLAGS.has(f));
    const note = c.result?.note;
    const realPath = note?.startsWith('/') ? stripDeleted(note) : null;
    return { type: 'open' as const, path, realPath, write, create: flags.includes('O_CREAT'), flags };
  }

  private unlink(c: Call, dirfd: string | null | undefined, token: string | undefined, directory: boolean) {
    return this.pathEvent(c, dirfd, token, (path) => ({ type: 'unlink', path, directory }));
  }

  private rename(
    c: Call,
    fromDir: string | null | undefined,
    fromTok: string | undefined,
    toDir: string | null | undefined,
    toTok: string | undefined,
  ): EventBody | null {
    const from = this.path(c, fromDir, fromTok);
    const to = this.path(c, toDir, toTok);
    return from && to ? { type: 'rename', from, to } : null;
  }

  private link(
    c: Call,
    targetTok: string | undefined,
    dirfd: string | null | undefined,
    pathTok: string | undefined,
    symbolic: boolean,
  ): EventBody | null {
    const path = this.path(c, dirfd, pathTok);
    // A symlink's target is stored as written; a hard link's names an existing file.
    const target = symbolic ? cText(targetTok) : this.path(c, null, targetTok);
    return path && target !== null ? { type: 'link', path, target, symbolic } : null;
  }

  private chmod(
    c: Call,
    dirfd: string | null | undefined,
    token: string | undefined,
    modeTok: string | undefined,
  ) {
    return this.pathEvent(c, dirfd, token, (path) => ({ type: 'chmod', path, mode: intToken(modeTok) }));
  }

  private chdir(c: Call, path: string | null): EventBody | null {
    if (path === null) return null;
    if (c.result?.value === 0) this.cwd.set(c.pid, stripDeleted(path));
    return { type: 'chdir', path };
  }

  private socket(c: Call): EventBody {
    const sock = socketNote(c.result?.note ?? null);
    if (sock) this.sockets.set(sock.inode, sock.transport);
    return {
      type: 'socket',
      domain: c.args[0] ?? '',
      socketType: c.args[1] ?? '',
      protocol: c.args[2] ?? '',
      inode: sock?.inode ?? null,
    };
  }

  private transportOf(fdArg: string | undefined): { transport: string | null; inode: string | null } {
    const sock = socketNote(fdToken(fdArg)?.note ?? null);
    if (!sock) return { transport: null, inode: null };
    return { transport: sock.transport || (this.sockets.get(sock.inode) ?? null), inode: sock.inode };
  }

  private connect(c: Call): EventBody {
    const addr = c.args[1];
    const family = structField(addr, 'sa_family');
    return {
      type: 'connect',
      endpoint: sockaddr(addr),
      unixPath: family === 'AF_UNIX' ? cText(structField(addr, 'sun_path') ?? undefined) : null,
      ...this.transportOf(c.args[0]),
    };
  }

  private send(c: Call, endpoint: InetEndpoint | null, buffers: (Uint8Array | undefined)[]): EventBody {
    const payloads = buffers.filter((b): b is Uint8Array => b !== undefined);
    return { type: 'send', endpoint, payloads, ...this.transportOf(c.args[0]) };
  }

  private sendmmsg(c: Call): EventBody {
    const items = arrayItems(c.args[1]) ?? [];
    const headers = items.map((m) => structField(m, 'msg_hdr') ?? '');
    const endpoint = headers.map((h) => sockaddr(structField(h, 'msg_name'))).find((e) => e !== null) ?? null;
    return this.send(
      c,
      endpoint,
      headers.flatMap((h) => msgBuffers(h)),
    );
  }

  private setid(c: Call): EventBody {
    return { type: 'setid', call: c.name, ids: c.args.map((a) => intToken(a)) };
  }
}

const WRITE_FLAGS = new Set(['O_WRONLY', 'O_RDWR', 'O_CREAT', 'O_TRUNC', 'O_APPEND']);

function shorten(text: string): string {
  return text.length > RAW_MAX ? `${text.slice(0, RAW_MAX)}…` : text;
}

function stripDeleted(path: string): string {
  return path.replace(/ \(deleted\)$/, '');
}

function sleep(c: Call, timespec: string | undefined): EventBody | null {
  const sec = intToken(structField(timespec, 'tv_sec') ?? undefined);
  const nsec = intToken(structField(timespec, 'tv_nsec') ?? undefined);
  if (sec === null) return null;
  return { type: 'sleep', call: c.name, ms: sec * 1000 + Math.round((nsec ?? 0) / 1e6) };
}

/** Parses a whole trace (text or lines) into events. */
export function parseStrace(trace: string | Iterable<string>): TraceEvent[] {
  const parser = new StraceParser();
  for (const line of typeof trace === 'string' ? trace.split('\n') : trace) parser.push(line);
  return parser.finish();
}
