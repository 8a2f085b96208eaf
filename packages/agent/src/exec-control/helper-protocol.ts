/**
 * The line protocol between the agent and `native/quell-execd` (see the comment at the top of
 * quell-execd.c). Parsing lives here, apart from the process plumbing, so it is unit-tested.
 */

/** Identity of the inode being executed, as the helper's fstat saw it. Nanosecond times. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/** One exec waiting for the agent's verdict. */
export interface ExecRequest {
  id: string;
  /** The process calling execve (its image is still the old one while we decide). */
  pid: number;
  /** The helper's fd for the file; its content is readable at /proc/<helper pid>/fd/<fd>. */
  fd: number;
  file: FileIdentity;
  /** Path of the file as the helper's mount namespace sees it. */
  path: string;
}

export const EXEC_VERDICTS = ['allow', 'deny'] as const;
export type ExecVerdict = (typeof EXEC_VERDICTS)[number];

/** The helper's first line once its fanotify marks are in place. */
export const READY_LINE = 'ready';

const UNESCAPE: Record<string, string> = { '\\': '\\', t: '\t', n: '\n' };

function unescapePath(s: string): string {
  return s.replace(/\\([\\tn])/g, (_, c: string) => UNESCAPE[c] ?? c);
}

const INT = /^\d+$/;

/** Parses a request line (without its newline); null when it is not one. */
export function parseRequest(line: string): ExecRequest | null {
  const parts = line.split('\t');
  if (parts.length !== 9) return null;
  const [id, pid, fd, dev, ino, size, mtime, ctime, path] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (![id, pid, fd, dev, ino, size, mtime, ctime].every((n) => INT.test(n)) || !path.startsWith('/'))
    return null;
  return {
    id,
    pid: Number(pid),
    fd: Number(fd),
    file: {
      dev: BigInt(dev),
      ino: BigInt(ino),
      size: BigInt(size),
      mtimeNs: BigInt(mtime),
      ctimeNs: BigInt(ctime),
    },
    path: unescapePath(path),
  };
}

/** The answer line for a request, newline included. */
export function formatAnswer(id: string, verdict: ExecVerdict): string {
  return `${id}\t${verdict}\n`;
}

/** Cache key for a file version: changes whenever its content can have changed (ctime cannot be set by users). */
export function identityKey(f: FileIdentity): string {
  return `${f.dev}:${f.ino}:${f.size}:${f.mtimeNs}:${f.ctimeNs}`;
}
