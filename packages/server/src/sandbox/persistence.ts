import { persistenceKind } from './persistence-paths.js';
import type { PersistenceRecord } from './report.schema.js';
import type { WorldChange } from './world-snapshot.js';

/** Longest excerpt kept per change. */
export const EXCERPT_MAX = 2048;

/** Text for a report: control characters other than newline and tab shown as `\xNN`. */
function printable(buf: Buffer): string {
  let out = '';
  for (const ch of buf.toString('utf8')) {
    const code = ch.charCodeAt(0);
    const control = (code < 0x20 && ch !== '\n' && ch !== '\t') || code === 0x7f;
    out += control ? `\\x${code.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}

function cap(text: string): string {
  return text.length > EXCERPT_MAX ? `${text.slice(0, EXCERPT_MAX)}…` : text;
}

/**
 * What a change to a persistence location added: for a file that existed, the lines it did
 * not have before (an appended crontab line); for a new file, its start; for a deletion, what
 * was there.
 */
export function changeExcerpt(before: Buffer | null, after: Buffer | null): string {
  if (after && before) {
    const old = new Set(printable(before).split('\n'));
    return cap(
      printable(after)
        .split('\n')
        .filter((line) => line.trim() && !old.has(line))
        .join('\n'),
    );
  }
  const content = after ?? before;
  return content ? cap(printable(content)) : '';
}

/** Changes to cron, systemd, shell startup files, ld.so.preload, authorized_keys and sudoers. Pure. */
export function persistenceChanges(changes: readonly WorldChange[]): PersistenceRecord[] {
  const out: PersistenceRecord[] = [];
  for (const c of changes) {
    const kind = persistenceKind(c.path);
    if (!kind || (c.after ?? c.before)?.type === 'directory') continue;
    const excerpt =
      c.after?.type === 'symlink'
        ? `-> ${c.after.linkTarget ?? ''}`
        : changeExcerpt(c.before?.content ?? null, c.after?.content ?? null);
    out.push({ path: c.path, kind, change: c.change, excerpt });
  }
  return out;
}
