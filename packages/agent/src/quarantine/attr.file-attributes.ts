import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { FileAttributes, Xattr } from './quarantine.ports.js';

const run = promisify(execFile);

/** getfattr/setfattr escape odd bytes in names as `\ooo`; decoding is symmetric. */
function unescapeOctal(s: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    const oct = raw.subarray(i + 1, i + 4).toString('latin1');
    if (b === 0x5c && /^[0-7]{3}$/.test(oct)) {
      bytes.push(parseInt(oct, 8));
      i += 3;
    } else bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Escapes every byte outside a safe set, which setfattr decodes back (any `\ooo` is accepted). */
function escapeOctal(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9._/+@:-]/.test(c) ? c : `\\${b.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/** Parses `getfattr -d -m - -e hex` output for one file. */
export function parseXattrDump(text: string): Xattr[] {
  const out: Xattr[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const name = unescapeOctal(eq < 0 ? line : line.slice(0, eq));
    const value = eq < 0 ? '' : line.slice(eq + 1);
    // With `-e hex` every value is `0x…`; an empty value prints as `0x` or not at all.
    out.push({ name, valueHex: value.replace(/^0x/i, '').toLowerCase() });
  }
  return out;
}

/** Builds the `setfattr --restore` input that puts `xattrs` on `path`. */
export function xattrDump(path: string, xattrs: readonly Xattr[]): string {
  const lines = [`# file: ${escapeOctal(path)}`];
  for (const x of xattrs) lines.push(`${escapeOctal(x.name)}=0x${x.valueHex}`);
  return `${lines.join('\n')}\n\n`;
}

/**
 * xattrs through the attr tools (Node has no xattr API, and a native addon is not worth it for
 * a one-shot action), times through GNU touch, which takes nanoseconds where fs.utimes rounds
 * to a double.
 */
export class AttrCommandFileAttributes implements FileAttributes {
  constructor(private readonly tools = { getfattr: 'getfattr', setfattr: 'setfattr', touch: 'touch' }) {}

  async readXattrs(path: string): Promise<Xattr[]> {
    try {
      const { stdout } = await run(
        this.tools.getfattr,
        ['-d', '-m', '-', '--absolute-names', '-e', 'hex', '--', path],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      return parseXattrDump(stdout);
    } catch (e) {
      // A filesystem without xattr support has none to keep.
      if (/Operation not supported/.test((e as { stderr?: string }).stderr ?? '')) return [];
      throw e;
    }
  }

  async writeXattrs(path: string, xattrs: readonly Xattr[]): Promise<void> {
    if (!xattrs.length) return;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(this.tools.setfattr, ['--restore=-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`setfattr --restore on ${path}: ${stderr.trim() || code}`)),
      );
      child.stdin.end(xattrDump(path, xattrs));
    });
  }

  async setTimes(path: string, t: { atimeNs: bigint; mtimeNs: bigint }, noFollow = false): Promise<void> {
    const h = noFollow ? ['-h'] : [];
    await run(this.tools.touch, [...h, '-c', '-a', '-d', `@${nsText(t.atimeNs)}`, '--', path]);
    await run(this.tools.touch, [...h, '-c', '-m', '-d', `@${nsText(t.mtimeNs)}`, '--', path]);
  }
}

/** `1700000000123456789n` → `1700000000.123456789`, the form `touch -d @…` reads exactly. */
export function nsText(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  return `${neg ? '-' : ''}${abs / 1_000_000_000n}.${(abs % 1_000_000_000n).toString().padStart(9, '0')}`;
}
