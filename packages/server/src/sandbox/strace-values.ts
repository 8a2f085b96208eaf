/**
 * Reading strace's rendering of syscall arguments (`-x -yy` output): splitting a call into its
 * arguments and result, decoding C string literals, descriptor annotations, arrays and structs.
 * Pure. Malformed input never throws: readers return null and the parser skips the call.
 */

/** Whether `<` at `i` opens a `-yy` annotation (`3</tmp/x>`, `AT_FDCWD</root>`), not text. */
function opensAnnotation(s: string, i: number): boolean {
  const prev = s[i - 1];
  return prev !== undefined && /[0-9D]/.test(prev);
}

/**
 * Index just past the annotation opened at `i`. Annotations nest (`</dev/null<char 1:3>>`) and
 * socket ones contain `->` (`<UDP:[10.0.0.2:5353->10.0.0.1:53]>`), which does not close them.
 */
function skipAnnotation(s: string, i: number): number {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === '<') depth++;
    else if (c === '>' && s[j - 1] !== '-') {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return s.length;
}

/** Index just past the string literal whose opening quote is at `i`. */
function skipString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j + 1;
  }
  return s.length;
}

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/**
 * Walks `s` from `start` at nesting depth 0 and returns the index of the first `stop` character
 * found there (or `s.length`), skipping strings, annotations and bracketed groups.
 */
function scanTopLevel(s: string, start: number, stop: string): number {
  const stack: string[] = [];
  let i = start;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === '"') {
      i = skipString(s, i);
      continue;
    }
    if (c === '<' && opensAnnotation(s, i)) {
      i = skipAnnotation(s, i);
      continue;
    }
    if (stack.length === 0 && stop.includes(c)) return i;
    const close = OPEN[c];
    if (close) stack.push(close);
    else if (c === stack[stack.length - 1]) stack.pop();
    i++;
  }
  return s.length;
}

export interface SplitCall {
  name: string;
  /** The argument text between the parentheses, split at top-level commas. */
  args: string[];
  /** Everything after `= `, or null when the call has no result (unfinished, cut off). */
  result: string | null;
}

/** Splits `name(arg, arg) = result` (or a prefix of it, for calls that never returned). */
export function splitCall(text: string): SplitCall | null {
  const m = /^([a-z_][a-z0-9_]*)\(/.exec(text);
  if (!m) return null;
  const name = m[1] as string;
  const open = name.length;
  const close = scanTopLevel(text, open + 1, ')');
  const inner = text.slice(open + 1, close);
  const args = splitArgs(inner);
  const eq = /^\)\s*=\s*(.*)$/.exec(text.slice(close));
  return { name, args, result: eq ? (eq[1] as string) : null };
}

/** Splits argument text at top-level commas, trimming each piece; empty text has no arguments. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= text.length) {
    const end = scanTopLevel(text, i, ',');
    const piece = text.slice(i, end).trim();
    if (piece.length || end < text.length) out.push(piece);
    i = end + 1;
  }
  return out;
}

export interface CallResult {
  /** The numeric return value; null for `?` or unparsable ones. */
  value: number | null;
  /** `ENOENT` and the like, when the call failed. */
  errno: string | null;
  /** The `-yy` annotation on a returned descriptor (`= 3</tmp/x>`). */
  note: string | null;
  /** With `--pidns-translation`: the pid as the tracer sees it (`/* 1234 in strace's PID NS *\/`). */
  tracerPid: number | null;
}

export function parseResult(text: string): CallResult {
  const m = /^(-?\d+|0x[0-9a-f]+|\?)(<.*?>(?=\s|$))?(?:\s+(E[A-Z0-9_]+)\b)?/.exec(text);
  const ns = /\/\* (\d+) in strace's PID NS \*\//.exec(text);
  const raw = m?.[1];
  let value: number | null = null;
  if (raw !== undefined && raw !== '?') value = raw.startsWith('0x') ? Number.parseInt(raw, 16) : Number(raw);
  const note = m?.[2] ? decodeAnnotation(m[2].slice(1, -1)) : null;
  return { value, errno: m?.[3] ?? null, note, tracerPid: ns ? Number(ns[1]) : null };
}

const SIMPLE_ESCAPES: Record<string, number> = {
  n: 10,
  t: 9,
  r: 13,
  v: 11,
  f: 12,
  a: 7,
  b: 8,
  '\\': 92,
  '"': 34,
};

/** Decodes the escapes strace uses (`\xNN`, `\n`, octal `\NNN`) in `s` into bytes. */
function decodeEscapes(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\' || i + 1 >= s.length) {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
      continue;
    }
    const n = s[i + 1] as string;
    if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      bytes.push(Number.parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (/[0-7]/.test(n)) {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1))?.[0] as string;
      bytes.push(Number.parseInt(oct, 8) & 0xff);
      i += oct.length;
    } else {
      bytes.push(SIMPLE_ESCAPES[n] ?? n.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes);
}

export interface CString {
  bytes: Buffer;
  /** strace cut the string at `-s` bytes (it printed `...` after the closing quote). */
  truncated: boolean;
}

/** Decodes a C string literal token (`"ab\x01c"...`); null when the token is not one. */
export function cString(token: string | undefined): CString | null {
  if (!token?.startsWith('"')) return null;
  const end = skipString(token, 0);
  return { bytes: decodeEscapes(token.slice(1, end - 1)), truncated: token.slice(end).startsWith('...') };
}

/** A C string token as text (UTF-8, invalid bytes replaced); null when the token is not a string. */
export function cText(token: string | undefined): string | null {
  const s = cString(token);
  return s ? s.bytes.toString('utf8') : null;
}

/** The text of a `-yy` annotation: a path (escapes decoded) or `TCP:[…]` and the like. */
function decodeAnnotation(inner: string): string {
  return decodeEscapes(inner).toString('utf8');
}

export interface FdToken {
  /** The descriptor number; null for AT_FDCWD. */
  fd: number | null;
  /** What the descriptor is: a path, `TCP:[inode]`, `pipe:[…]`… (null without `-yy`). */
  note: string | null;
}

/** Reads a descriptor argument (`3</tmp/x>`, `AT_FDCWD</root>`, `-1`). */
export function fdToken(token: string | undefined): FdToken | null {
  const m = /^(-?\d+|AT_FDCWD)(<.*>)?$/s.exec(token ?? '');
  if (!m) return null;
  const raw = m[1] as string;
  const note = m[2] ? decodeAnnotation(m[2].slice(1, -1)) : null;
  return { fd: raw === 'AT_FDCWD' ? null : Number(raw), note };
}

/** The elements of an array token (`["a", "b"]`); null when the token is not an array. */
export function arrayItems(token: string | undefined): string[] | null {
  if (!token?.startsWith('[')) return null;
  const close = scanTopLevel(token, 1, ']');
  return splitArgs(token.slice(1, close));
}

/** A top-level field of a struct token (`{sa_family=AF_INET, sin_port=htons(80)}` → `htons(80)`). */
export function structField(token: string | undefined, field: string): string | null {
  if (!token?.startsWith('{')) return null;
  const close = scanTopLevel(token, 1, '}');
  for (const piece of splitArgs(token.slice(1, close))) {
    const eq = piece.indexOf('=');
    if (eq > 0 && piece.slice(0, eq) === field) return piece.slice(eq + 1);
  }
  return null;
}

/** Every string literal anywhere in `token`, in order (the buffers of `msg_iov`, for instance). */
export function allStrings(token: string): CString[] {
  const out: CString[] = [];
  let i = 0;
  while (i < token.length) {
    if (token[i] === '"') {
      const end = skipString(token, i);
      const lit = cString(token.slice(i));
      if (lit) out.push(lit);
      i = end;
    } else i++;
  }
  return out;
}

/** Symbolic flags (`O_WRONLY|O_CREAT|0x200`) as a list of names. */
export function flagList(token: string | undefined): string[] {
  return (token ?? '')
    .split('|')
    .map((f) => f.trim())
    .filter(Boolean);
}

/** An integer literal (decimal, `0…` octal as strace prints modes, or hex); null otherwise. */
export function intToken(token: string | undefined): number | null {
  if (token === undefined) return null;
  if (/^0x[0-9a-f]+$/i.test(token)) return Number.parseInt(token, 16);
  if (/^0[0-7]+$/.test(token)) return Number.parseInt(token, 8);
  if (/^-?\d+$/.test(token)) return Number(token);
  return null;
}
